// Packages out and answers back: the claim (per tenant, per transport order, through the claim
// window), the settle, releases, and the rescue of leases that ran out. A failed attempt is written
// one way, record_failure(), whether a push's answer or an expired lease says so.
#include <algorithm>

#include <spdlog/spdlog.h>

#include "bridge/outbox/outbox_impl.hpp"
#include "bridge/outbox/queries.hpp"

namespace ato::bridge {

using sqlite::Statement;
using sqlite::Transaction;

namespace {

// The claim's read for each state the window may choose from, built once (PreparedStatements keys
// by address).
const char* read_claimed_sql(EventState from) {
  static const std::string pending = queries::read_claimed(state_name(EventState::Pending)),
                           retryable = queries::read_claimed(state_name(EventState::Retryable));
  return from == EventState::Pending ? pending.c_str() : retryable.c_str();
}

constexpr std::string_view kLeaseExpired =
    "lease expired while in flight (the bridge stopped or hung); it may have been delivered, Cloud ALM "
    "deduplicates";

}  // namespace

// A tenant's window holds its share of the capacity (as many tenants as the outbox knew when the
// window was made), never less than kMinWindowPerTenant (unless the whole capacity is smaller: tests).
ClaimWindow& Outbox::Impl::window_of(int tenant) {
  auto& window = memory.windows[tenant];
  if (!window) {
    const std::size_t tenants = std::max<std::size_t>(1, memory.tenants.names.size());
    window = std::make_unique<ClaimWindow>(
        std::max(std::min(kMinWindowPerTenant, options.window_capacity), options.window_capacity / tenants));
  }
  return *window;
}

// The window loads when another process wrote (notice_other_writers() dropped it), or when it has
// room for many more open events than it holds.
void Outbox::Impl::refresh_window(int tenant, bool notice) {
  if (notice) notice_other_writers();
  load_leases();
  if (window_of(tenant).wants_more()) load_window_rows(tenant);
}

void Outbox::Impl::load_leases() {
  auto& in_flight = memory.in_flight;
  if (in_flight.loaded()) return;
  auto& load = statements(sql::load_leases);
  while (load.step())
    in_flight.add(load.int64(1),
                  InFlight::Event{load.int64(0), service_from(load.text(4)),
                                  value_of(kEventStateNames, load.text(2)).value_or(EventState::Pending),
                                  load.int64(3), static_cast<int>(load.int64(5))});
  load.reset();
  in_flight.mark_loaded();
}

void Outbox::Impl::load_window_rows(int tenant) {
  ClaimWindow& window = window_of(tenant);
  const std::int64_t wanted = static_cast<std::int64_t>(window.room());
  auto& load = statements(sql::load_window);
  load.bind(1, window.loaded() ? window.horizon() : std::int64_t{0}).bind(2, wanted).bind(3, tenant);
  std::int64_t rows = 0, last = window.horizon();
  while (load.step()) {
    ++rows;
    last = load.int64(1);
    const std::int64_t id = load.int64(0);
    const EventState state = memory.in_flight.find(id)
                                 ? EventState::InFlight
                                 : value_of(kEventStateNames, load.text(5)).value_or(EventState::Pending);
    window.add_loaded(WindowEvent{id, last, service_from(load.text(2)), std::string(load.text(3)),
                                  std::string(load.text(4)), state, load.int64(6), load.int64(7)});
  }
  load.reset();
  window.finish_load(last, rows < wanted);
}

// Says once, while it lasts, that a tenant's window is full of events that cannot leave.
void Outbox::Impl::note_if_blocked(int tenant, const ClaimRequest& request, std::int64_t watermark) {
  const ClaimWindow& window = window_of(tenant);
  const bool blocked = window.blocked(request.now, watermark, request.excluded_systems);
  auto& warned = turns.warned_blocked;
  if (blocked && !warned.contains(tenant))
    spdlog::warn(
        "outbox {}: none of the first {} waiting events of tenant {} can leave now (backoff, paused "
        "systems, or earlier events of their transports in flight); its later events wait until these "
        "move",
        options.path.string(), window.size(), tenant_name(tenant));
  if (blocked)
    warned.insert(tenant);
  else
    warned.erase(tenant);
}

// Tenants take turns: the claim starts with the tenant after the one served last for this service
// and takes the first whose window has events that may leave now. A package is one tenant's.
ClaimedPackage Outbox::claim(const ClaimRequest& request) {
  return impl_->changing("claim", [&] {
    impl_->notice_other_writers();
    std::vector<int> order;
    if (!request.tenant.empty()) {
      if (const int only = impl_->tenant_number(request.tenant, false)) order.push_back(only);
    } else {
      const int last = impl_->turns.last_served_tenant[request.service];
      if (!impl_->memory.tenants.loaded) impl_->load_tenants();
      for (const auto& [number, name] : impl_->memory.tenants.names)
        if (number > last) order.push_back(number);
      for (const auto& [number, name] : impl_->memory.tenants.names)
        if (number <= last) order.push_back(number);
    }
    for (int tenant : order) {
      const auto per_tenant = [&](const auto& values, auto otherwise) {
        if (values.empty()) return otherwise;
        const auto it = values.find(impl_->tenant_name(tenant));
        return it == values.end() ? decltype(otherwise){0} : it->second;
      };
      const std::int64_t watermark = per_tenant(request.watermark_of, request.watermark);
      const int max_events = per_tenant(request.max_events_of, request.max_events);
      if (max_events <= 0) continue;  // the service is not this tenant's
      ClaimedPackage package = impl_->claim_from(tenant, request, watermark, max_events);
      if (!package.events.empty()) {
        impl_->turns.last_served_tenant[request.service] = tenant;
        return package;
      }
    }
    return ClaimedPackage{};
  });
}

ClaimedPackage Outbox::Impl::claim_from(int tenant, const ClaimRequest& request, std::int64_t watermark,
                                        int max_events) {
  ClaimedPackage package;
  const EventState from = request.from == ClaimFrom::Pending ? EventState::Pending : EventState::Retryable;
  refresh_window(tenant, false);  // the claim noticed other writers once, for all tenants
  ClaimWindow& window = window_of(tenant);
  const WindowQuery query{request.service,           from,      request.now, watermark,
                          &request.excluded_systems, max_events};
  const std::vector<std::int64_t> chosen = window.claimable(query);
  if (chosen.empty()) {
    note_if_blocked(tenant, request, watermark);
    return package;
  }
  package.tenant = tenant_name(tenant);
  package.lease_token = static_cast<std::int64_t>(random() >> 2) + 1;
  package.from = request.from;
  package.lease_expires_at = request.now + request.lease.count();
  std::string ids = json_array(chosen);
  std::vector<std::int64_t> read_ids;
  std::vector<EpochMillis> due;
  auto& stmt = statements(read_claimed_sql(from));
  stmt.bind_static(1, ids);
  while (stmt.step()) {
    if (stmt.is_null(8)) {
      const std::string event_id(stmt.text(1));
      stmt.reset();
      throw OutboxError(fmt::format("outbox {}: event {} has no payload", options.path.string(), event_id));
    }
    package.events.push_back(ClaimedEvent{stmt.int64(0), std::string(stmt.text(1)), request.service,
                                          stmt.int64(2), std::string(stmt.text(3)), std::string(stmt.text(4)),
                                          std::string(stmt.text(8)), static_cast<int>(stmt.int64(5)),
                                          stmt.int64(6)});
    read_ids.push_back(stmt.int64(0));
    due.push_back(stmt.int64(7));
  }
  stmt.reset();
  // A chosen row was no longer in the state the window saw: it is stale, load it again.
  const bool stale = read_ids.size() != chosen.size();
  if (read_ids.empty()) {
    memory.forget();
    package.events.clear();
    return package;
  }
  if (stale) ids = json_array(read_ids);
  statements(sql::insert_lease)
      .bind(1, package.lease_token)
      .bind(2, package.lease_expires_at)
      .bind_static(3, ids)
      .run();
  for (std::size_t i = 0; i < read_ids.size(); ++i) {
    memory.in_flight.add(read_ids[i],
                         InFlight::Event{package.lease_token, request.service, from, due[i], tenant});
    window.claimed(read_ids[i]);
  }
  if (stale) memory.forget();
  std::sort(package.events.begin(), package.events.end(),
            [](const ClaimedEvent& a, const ClaimedEvent& b) { return a.sequence < b.sequence; });
  return package;
}

// The retry policy decides between another attempt and a dead letter; the row records the attempt
// in its history either way.
Outbox::Impl::Recorded Outbox::Impl::record_failure(const Failure& failure, EpochMillis now,
                                                    const std::string& now_text, const RetryPolicy& policy) {
  Recorded recorded{EventState::Dead, now};
  std::string reason(failure.message);
  if (failure.retryable) {
    const auto decision =
        decide_retry(policy, failure.attempts, failure.enqueued_at, now, failure.retry_after, jitter());
    if (decision.give_up) {
      reason = decision.reason + "; last error: " + std::string(failure.message);
    } else {
      recorded = {EventState::Retryable, decision.next_attempt_at};
    }
  }
  auto& update = statements(sql::record_failure);
  update.bind(1, state_name(recorded.state)).bind(2, failure.attempts).bind(3, recorded.next_attempt_at);
  if (recorded.state == EventState::Dead)
    update.bind(4, now).bind(5, reason);
  else
    update.bind_null(4).bind_null(5);
  update.bind(6, now_text).bind(7, failure.attempts);
  if (failure.http_status)
    update.bind(8, failure.http_status);
  else
    update.bind_null(8);
  update.bind(9, failure.message).bind(10, failure.id).run();
  return recorded;
}

SettleResult Outbox::settle(std::int64_t lease_token, const std::vector<Settlement>& settlements,
                            EpochMillis now, const RetryPolicy& policy) {
  return impl_->changing("settle", [&] {
    SettleResult result;
    auto& memory = impl_->memory;
    impl_->load_leases();
    // An event is ours to settle while our lease lists it; one rescued meanwhile is not.
    const auto ours = [&](std::int64_t id) { return memory.in_flight.holds(lease_token, id); };
    std::vector<std::int64_t> settled_ids;
    Transaction tx(*impl_->db);
    const std::string now_text = format_iso8601_utc(now);
    // All accepted events of the package in one statement: the common case, and the hot one.
    std::vector<std::int64_t> done_ids;
    for (const auto& s : settlements) {
      if (s.kind != Settlement::Kind::Done) continue;
      if (ours(s.id))
        done_ids.push_back(s.id);
      else
        ++result.stale;
    }
    if (!done_ids.empty()) {
      auto& stmt = impl_->statements(sql::settle_done);
      stmt.bind(1, now).bind(2, json_array(done_ids)).run();
      if (stmt.changes() != static_cast<int>(done_ids.size()))
        throw OutboxError(fmt::format("{} of {} events in flight were no longer open",
                                      done_ids.size() - static_cast<std::size_t>(stmt.changes()),
                                      done_ids.size()));
      result.done = stmt.changes();
      for (std::int64_t id : done_ids) {
        const auto& was = *memory.in_flight.find(id);
        impl_->window_of(was.tenant).settled(id);
        memory.count_move(was.tenant, was.service, was.state, EventState::Done);
      }
      settled_ids = std::move(done_ids);
    }
    for (const auto& s : settlements) {
      if (s.kind == Settlement::Kind::Done) continue;
      if (!ours(s.id)) {
        ++result.stale;
        continue;
      }
      settled_ids.push_back(s.id);
      const auto& was = *memory.in_flight.find(s.id);
      if (s.kind == Settlement::Kind::Release) {  // back as it was claimed: its row never changed
        impl_->window_of(was.tenant).waiting(s.id, was.state, was.next_attempt_at);
        ++result.released;
        continue;
      }
      auto& row = impl_->statements(sql::read_for_failure);
      row.bind(1, s.id);
      if (!row.step()) {
        row.reset();
        throw OutboxError(fmt::format("event row {} in flight is no longer open", s.id));
      }
      const Failure failure{s.id,          static_cast<int>(row.int64(0)) + 1,
                            row.int64(1),  s.kind == Settlement::Kind::Retry,
                            s.http_status, s.message,
                            s.retry_after};
      row.reset();
      const auto recorded = impl_->record_failure(failure, now, now_text, policy);
      memory.count_move(was.tenant, was.service, was.state, recorded.state);
      if (recorded.state == EventState::Dead)
        impl_->window_of(was.tenant).settled(s.id);
      else
        impl_->window_of(was.tenant).waiting(s.id, recorded.state, recorded.next_attempt_at);
      ++(recorded.state == EventState::Dead ? result.dead : result.retryable);
    }
    impl_->end_in_flight(lease_token, settled_ids);
    tx.commit();
    return result;
  });
}

// The settled events leave their lease, in the settle's transaction; the row goes with the last.
void Outbox::Impl::end_in_flight(std::int64_t token, const std::vector<std::int64_t>& settled_ids) {
  if (settled_ids.empty()) return;
  const std::vector<std::int64_t> still = memory.in_flight.end(token, settled_ids);
  if (still.empty())
    statements(sql::end_lease).bind(1, token).run();
  else
    statements(sql::shrink_lease).bind(1, token).bind(2, json_array(still)).run();
}

RescueResult Outbox::Impl::rescue(EpochMillis now, EpochMillis expired_by, const RetryPolicy& policy) {
  Transaction tx(*db);
  std::vector<Failure> lost;
  auto& select = statements(sql::expired_lease_events);
  select.bind(1, expired_by);
  while (select.step())
    lost.push_back(Failure{select.int64(0), static_cast<int>(select.int64(1)) + 1, select.int64(2), true, 0,
                           kLeaseExpired, std::nullopt});
  select.reset();
  RescueResult result;
  const std::string now_text = format_iso8601_utc(now);
  for (const auto& failure : lost)
    ++(record_failure(failure, now, now_text, policy).state == EventState::Dead ? result.dead
                                                                                : result.retryable);
  auto& end_expired = statements(sql::end_expired_leases);
  end_expired.bind(1, expired_by).run();
  const int leases = end_expired.changes();
  tx.commit();
  if (leases > 0) memory.forget();  // rare: a package was lost in flight
  return result;
}

RescueResult Outbox::rescue_expired(EpochMillis now, const RetryPolicy& policy) {
  return impl_->changing("rescue", [&] { return impl_->rescue(now, now, policy); });
}

RescueResult Outbox::rescue_all_in_flight(EpochMillis now, const RetryPolicy& policy) {
  return impl_->changing("rescue", [&] { return impl_->rescue(now, kMaxEpochMillis, policy); });
}

int Outbox::release_leases(const std::vector<std::int64_t>& lease_tokens) {
  if (lease_tokens.empty()) return 0;
  return impl_->changing("release leases", [&] {
    Transaction tx(*impl_->db);
    const std::string tokens = json_array(lease_tokens);
    Statement count(*impl_->db, sql::count_events_of_leases);
    count.bind(1, tokens);
    const std::int64_t events = count.step() ? count.int64(0) : 0;
    Statement end(*impl_->db, sql::end_leases);
    end.bind(1, tokens).run();
    tx.commit();
    impl_->memory.forget();  // the window and the in-flight list load again, with these events waiting
    return static_cast<int>(events);
  });
}

}  // namespace ato::bridge
