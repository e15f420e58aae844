// What operators and the bridge's reports ask of the outbox: dead letters and their requeue, counts
// and the oldest waiting event, retention of delivered events, and the recording's reads.
#include "bridge/outbox/outbox_impl.hpp"

namespace ato::bridge {

using sqlite::Statement;
using sqlite::Transaction;

std::int64_t StateCounts::total(EventState state) const {
  std::int64_t sum = 0;
  for (const auto& [service, states] : by_service)
    if (auto it = states.find(state); it != states.end()) sum += it->second;
  return sum;
}

namespace {

// The filter's placeholders in sql/administration/dead_letters.sql and requeue_dead_letters.sql.
void bind_filter(Statement& stmt, const DeadLetterFilter& filter) {
  filter.service ? stmt.bind(1, to_string(*filter.service)) : stmt.bind_null(1);
  filter.transport_id ? stmt.bind(2, *filter.transport_id) : stmt.bind_null(2);
  filter.reason_contains ? stmt.bind(3, *filter.reason_contains) : stmt.bind_null(3);
  filter.tenant ? stmt.bind(5, *filter.tenant) : stmt.bind_null(5);
}

DeadLetter read_dead_letter(const Statement& stmt, bool with_payload) {
  DeadLetter d;
  d.event_id = stmt.text(0);
  d.service = service_from(stmt.text(1));
  d.sequence = stmt.int64(2);
  d.transport_id = stmt.text(3);
  d.source_system = stmt.text(4);
  d.attempts = static_cast<int>(stmt.int64(5));
  d.enqueued_at = stmt.int64(6);
  d.died_at = stmt.int64(7);
  d.reason = stmt.text(8);
  d.errors = stmt.text(9);
  if (with_payload) d.payload = stmt.text(10);
  d.tenant = stmt.text(11);
  return d;
}

}  // namespace

std::vector<DeadLetter> Outbox::dead_letters(const DeadLetterFilter& filter) const {
  return impl_->guarded("list dead letters", [&] {
    Statement stmt(*impl_->db, sql::dead_letters);
    bind_filter(stmt, filter);
    stmt.bind(4, filter.limit);
    std::vector<DeadLetter> out;
    while (stmt.step()) out.push_back(read_dead_letter(stmt, false));
    return out;
  });
}

std::optional<DeadLetter> Outbox::dead_letter(const std::string& event_id) const {
  return impl_->guarded("show dead letter", [&]() -> std::optional<DeadLetter> {
    Statement stmt(*impl_->db, sql::dead_letter);
    stmt.bind(1, event_id);
    if (!stmt.step()) return std::nullopt;
    return read_dead_letter(stmt, true);
  });
}

int Outbox::requeue_dead(const std::string& event_id, EpochMillis now) {
  return impl_->changing("requeue dead letter", [&] {
    Statement stmt(*impl_->db, sql::requeue_dead_letter);
    stmt.bind(1, event_id).bind(10, now).bind(11, format_iso8601_utc(now)).run();
    if (stmt.changes() > 0) impl_->memory.forget();  // open again, perhaps ahead of held events
    return stmt.changes();
  });
}

int Outbox::requeue_dead(const DeadLetterFilter& filter, EpochMillis now) {
  return impl_->changing("requeue dead letters", [&] {
    Statement stmt(*impl_->db, sql::requeue_dead_letters);
    bind_filter(stmt, filter);
    stmt.bind(10, now).bind(11, format_iso8601_utc(now)).run();
    if (stmt.changes() > 0) impl_->memory.forget();
    return stmt.changes();
  });
}

StateCounts Outbox::counts() const {
  return impl_->guarded("count", [&] {
    auto& memory = impl_->memory;
    impl_->notice_other_writers();
    impl_->load_leases();
    if (!memory.tally) memory.tally = impl_->count_stored();
    OutboxMemory::Tally tally = *memory.tally;
    // In flight is not a state of the row but a lease listing it (schema/outbox/006): move those.
    for (const auto& [id, leased] : memory.in_flight.events()) {
      auto& states = tally[leased.tenant][leased.service];
      --states[leased.state];
      ++states[EventState::InFlight];
    }
    StateCounts counts;
    for (const auto& [tenant, by_service] : tally) {
      counts.by_tenant[impl_->tenant_name(tenant)] = by_service;
      for (const auto& [service, states] : by_service)
        for (const auto& [state, n] : states) counts.by_service[service][state] += n;
    }
    return counts;
  });
}

// The full scan the tally starts from.
OutboxMemory::Tally Outbox::Impl::count_stored() {
  OutboxMemory::Tally counts;
  Statement stmt(*db, sql::count_by_state);
  while (stmt.step()) {
    const auto state = value_of(kEventStateNames, stmt.text(2));
    if (state) counts[static_cast<int>(stmt.int64(0))][service_from(stmt.text(1))][*state] = stmt.int64(3);
  }
  return counts;
}

std::optional<std::chrono::milliseconds> Outbox::oldest_waiting_age(EpochMillis now) const {
  return impl_->guarded("oldest waiting", [&]() -> std::optional<std::chrono::milliseconds> {
    // From the claim window: a walk of every open row held the outbox for ~0.1 s per /metrics
    // scrape with a 1,000,000-event backlog.
    std::optional<EpochMillis> oldest;
    impl_->notice_other_writers();
    if (!impl_->memory.tenants.loaded) impl_->load_tenants();
    std::vector<int> numbers;
    for (const auto& [tenant, name] : impl_->memory.tenants.names) numbers.push_back(tenant);
    for (int tenant : numbers) {
      impl_->refresh_window(tenant);
      const auto of_tenant = impl_->window_of(tenant).oldest_enqueued_at();
      if (of_tenant && (!oldest || *of_tenant < *oldest)) oldest = of_tenant;
    }
    if (!oldest) return std::nullopt;
    return std::chrono::milliseconds(std::max<std::int64_t>(0, now - *oldest));
  });
}

// Walks the rows in stored order, `batch` rows per transaction so the collector and pusher are
// never blocked for long: done rows settled before `before` go, open rows and dead letters stay, and
// the first done row settled since ends the walk (schema/outbox/007 says why that is enough).
std::int64_t Outbox::delete_done_before(EpochMillis before, int batch) {
  std::int64_t deleted = 0, after = 0;
  auto& memory = impl_->memory;
  for (bool more = true; more;) {
    more = impl_->guarded("retention", [&] {
      Transaction tx(*impl_->db);
      auto& scan = impl_->statements(sql::retention_scan);
      scan.bind(1, after).bind(2, batch);
      std::vector<std::int64_t> old;
      std::map<std::pair<int, Service>, std::int64_t> old_per_service;
      int rows = 0;
      bool reached_recent = false;
      while (!reached_recent && scan.step()) {
        ++rows;
        after = scan.int64(0);
        if (scan.is_null(1)) continue;  // open or dead
        if (scan.int64(1) < before) {
          old.push_back(after);
          ++old_per_service[{static_cast<int>(scan.int64(3)), service_from(scan.text(2))}];
        } else {
          reached_recent = true;
        }
      }
      scan.reset();
      if (!old.empty()) {
        auto& remove = impl_->statements(sql::retention_delete);
        remove.bind(1, json_array(old)).run();
        if (remove.changes() != static_cast<int>(old.size())) memory.tally.reset();
        deleted += remove.changes();
      }
      tx.commit();
      for (const auto& [of, n] : old_per_service) memory.count(of.first, of.second, EventState::Done, -n);
      return !reached_recent && rows == batch;
    });
  }
  if (deleted > 0) impl_->guarded("retention", [&] { impl_->db->exec(sql::incremental_vacuum); });
  // The deleted events' eventIds stay in memory (harmless: a candidate is confirmed by its row) until
  // as many were deleted as are left; then they are read again, so memory follows what is stored.
  impl_->guarded("retention", [&] {
    auto& ids = memory.event_ids;
    ids.deleted_since_load += deleted;
    if (ids.deleted_since_load * 2 > static_cast<std::int64_t>(ids.index.size())) ids.loaded = false;
  });
  return deleted;
}

std::vector<Outbox::StoredEvent> Outbox::stored_after(std::int64_t id, int limit) const {
  return impl_->guarded("read stored events", [&] {
    Statement stmt(*impl_->db, sql::stored_after);
    stmt.bind(1, id).bind(2, limit);
    std::vector<StoredEvent> out;
    while (stmt.step()) out.push_back({stmt.int64(0), std::string(stmt.text(1))});
    return out;
  });
}

std::optional<std::int64_t> Outbox::id_of_event(const std::string& event_id, std::int64_t sequence) const {
  return impl_->guarded("find event", [&]() -> std::optional<std::int64_t> {
    Statement stmt(*impl_->db, sql::id_of_event);
    stmt.bind(1, sequence).bind(2, event_id);
    if (!stmt.step()) return std::nullopt;
    return stmt.int64(0);
  });
}

std::int64_t Outbox::last_id() const {
  return impl_->guarded("last id", [&] { return impl_->highest_stored_id(); });
}

}  // namespace ato::bridge
