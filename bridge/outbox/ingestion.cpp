// Storing what the collector read: events in chunks, a page read again skipped, conflicts refused,
// and events that must never be pushed stored as dead letters with their reason.
#include <unordered_map>

#include "bridge/outbox/outbox_impl.hpp"
#include "bridge/outbox/queries.hpp"

namespace ato::bridge {

using sqlite::Statement;
using sqlite::Transaction;

namespace {

// The insert statements for one row and for a chunk, built once: PreparedStatements keys by address.
const char* insert_events_sql(std::size_t rows) {
  static const std::string one = queries::insert_events(1),
                           chunk = queries::insert_events(queries::kStoreChunk);
  return rows == 1 ? one.c_str() : chunk.c_str();
}
const char* insert_payloads_sql(std::size_t rows) {
  static const std::string one = queries::insert_payloads(1),
                           chunk = queries::insert_payloads(queries::kStoreChunk);
  return rows == 1 ? one.c_str() : chunk.c_str();
}

}  // namespace

NewEvent to_new_event(const AtoEvent& event) {
  return NewEvent{event.event_id,     event.service,      event.sequence,
                  event.transport_id, event.source.key(), to_json(event)};
}

std::int64_t Outbox::Impl::highest_stored_id() {
  auto& highest = statements(sql::highest_id);
  highest.step();
  const std::int64_t id = highest.int64(0);
  highest.reset();
  return id;
}

EnqueueResult Outbox::enqueue(const std::string& tenant_name, Service service,
                              const std::vector<NewEvent>& events, std::int64_t cursor, EpochMillis now) {
  for (const auto& e : events) {
    if (e.service != service)
      throw std::invalid_argument(fmt::format("enqueue for {}: event {} is of service {}", to_string(service),
                                              e.event_id, to_string(e.service)));
    if (e.sequence > cursor)
      throw std::invalid_argument(
          fmt::format("enqueue for {}: event {} has sequence {}, above the new cursor {}", to_string(service),
                      e.event_id, e.sequence, cursor));
  }
  return impl_->changing("enqueue", [&] {
    EnqueueResult result;
    Transaction tx(*impl_->db);
    const int tenant = impl_->tenant_number(tenant_name, true);
    const std::vector<std::string> problems = impl_->ingestion_problems(tenant, events);
    std::int64_t next_id = impl_->highest_stored_id() + 1;
    for (std::size_t first = 0; first < events.size();) {
      if (!problems[first].empty()) {
        impl_->store_dead(tenant, events[first], problems[first], next_id++, now, result);
        ++first;
        continue;
      }
      std::size_t clean = first;  // the run of events without a problem
      while (clean < events.size() && problems[clean].empty() && clean - first < queries::kStoreChunk)
        ++clean;
      const std::size_t rows =
          clean - first == static_cast<std::size_t>(queries::kStoreChunk) ? queries::kStoreChunk : 1;
      impl_->store(tenant, events, first, rows, next_id, now, result);
      first += rows;
      next_id += static_cast<std::int64_t>(rows);
    }
    impl_->statements(sql::advance_cursor)
        .bind(1, to_string(service))
        .bind(2, cursor)
        .bind(3, now)
        .bind(4, tenant)
        .run();
    tx.commit();
    if (auto& cursors = impl_->memory.cursors) {
      auto& cached = (*cursors)[{tenant, service}];
      cached = std::max(cached, cursor);
    }
    return result;
  });
}

// Stores events[first, first + rows) as rows first_id, first_id + 1, ... in one statement (their
// payloads in another); a duplicate leaves its id unused.
void Outbox::Impl::store(int tenant, const std::vector<NewEvent>& events, std::size_t first, std::size_t rows,
                         std::int64_t first_id, EpochMillis now, EnqueueResult& result) {
  auto& insert = statements(insert_events_sql(rows));
  for (std::size_t r = 0; r < rows; ++r) {
    const NewEvent& e = events[first + r];
    const int at = static_cast<int>(r) * queries::kInsertEventColumns;
    // The strings outlive the step: no copies.
    insert.bind(at + 1, first_id + static_cast<std::int64_t>(r)).bind_static(at + 2, e.event_id);
    insert.bind_static(at + 3, to_string(e.service)).bind(at + 4, e.sequence);
    insert.bind_static(at + 5, e.transport_id).bind_static(at + 6, e.source_system);
    insert.bind(at + 7, now).bind(at + 8, now).bind(at + 9, tenant);
  }
  insert.run();
  std::vector<bool> stored(rows, true);
  const bool all_stored = insert.changes() == static_cast<int>(rows);
  if (!all_stored) {  // duplicates among them (a feed page read again): which ids were stored?
    stored.assign(rows, false);
    std::vector<std::int64_t> ids;
    for (std::size_t r = 0; r < rows; ++r) ids.push_back(first_id + static_cast<std::int64_t>(r));
    const std::string ids_json = json_array(ids);
    auto& which = statements(sql::stored_ids);
    which.bind_static(1, ids_json);
    while (which.step()) stored[static_cast<std::size_t>(which.int64(0) - first_id)] = true;
    which.reset();
  }
  if (all_stored) {
    auto& payloads = statements(insert_payloads_sql(rows));
    for (std::size_t r = 0; r < rows; ++r)
      payloads.bind(static_cast<int>(r) * 2 + 1, first_id + static_cast<std::int64_t>(r))
          .bind_static(static_cast<int>(r) * 2 + 2, events[first + r].payload);
    payloads.run();
  } else {
    auto& payload = statements(insert_payloads_sql(1));
    for (std::size_t r = 0; r < rows; ++r)
      if (stored[r])
        payload.bind(1, first_id + static_cast<std::int64_t>(r))
            .bind_static(2, events[first + r].payload)
            .run();
  }
  for (std::size_t r = 0; r < rows; ++r) {
    const NewEvent& e = events[first + r];
    if (!stored[r]) {
      check_same_content(tenant, e);
      ++result.duplicates;
      continue;
    }
    const std::int64_t id = first_id + static_cast<std::int64_t>(r);
    memory.event_ids.index.add(e.event_id, id);
    window_of(tenant).stored(WindowEvent{id, e.sequence, e.service, e.transport_id, e.source_system,
                                         EventState::Pending, now, now});
    memory.count(tenant, e.service, EventState::Pending, +1);
    ++result.inserted;
  }
}

// Why each event must not be pushed (empty: it may): over the size limit, or an eventId already
// stored (or earlier in the batch) with another sequence. Cloud ALM deduplicates by eventId, so it
// would answer "duplicate" for the second and the bridge would count it delivered.
std::vector<std::string> Outbox::Impl::ingestion_problems(int tenant, const std::vector<NewEvent>& events) {
  load_event_ids();
  std::vector<std::string> problems(events.size());
  std::unordered_map<std::string_view, std::int64_t> first_in_batch;
  for (std::size_t i = 0; i < events.size(); ++i) {
    const NewEvent& e = events[i];
    if (e.payload.size() > options.max_event_bytes) {
      problems[i] = fmt::format("{}: the event is {} bytes, over the limit of {} bytes per event",
                                kEventTooLarge, e.payload.size(), options.max_event_bytes);
      continue;
    }
    auto [earlier, inserted] = first_in_batch.emplace(e.event_id, e.sequence);
    if (!inserted && earlier->second != e.sequence) {
      problems[i] = fmt::format(
          "{}: eventId {} came with sequence {} in the same page, and now with sequence {} and "
          "other content; not pushed (Cloud ALM would take it for the first)",
          kEventIdConflict, e.event_id, earlier->second, e.sequence);
      continue;
    }
    const auto candidate = memory.event_ids.index.find(e.event_id);
    const auto stored = candidate ? stored_row(*candidate, e.event_id) : std::nullopt;
    if (!stored || (stored->tenant == tenant && stored->sequence == e.sequence))
      continue;  // new, or a re-read of the same sequence (checked for its content when stored)
    if (stored->tenant != tenant && stored->payload == e.payload) {
      problems[i] = fmt::format(
          "{}: eventId {} is stored as sequence {} of tenant {}: the same event from two tenants, with the "
          "same content (do two tenants read one feed? `ato-bridge config check` compares their feed "
          "URLs); not pushed twice",
          kEventIdConflict, e.event_id, stored->sequence, tenant_name(stored->tenant));
      continue;
    }
    problems[i] = fmt::format(
        "{}: eventId {} is stored with sequence {}{}; the feed now sends it with sequence {} "
        "and other content; not pushed (Cloud ALM would answer duplicate and it would be "
        "counted as delivered)",
        kEventIdConflict, e.event_id, stored->sequence,
        stored->tenant == tenant ? "" : " of tenant " + tenant_name(stored->tenant), e.sequence);
  }
  return problems;
}

// Every stored eventId, read once (and again after another process wrote, or retention deleted as
// many as are left): a scan of the events table.
void Outbox::Impl::load_event_ids() {
  auto& ids = memory.event_ids;
  if (ids.loaded) return;
  ids.index.clear();
  auto& scan = statements(sql::all_event_ids);
  while (scan.step()) ids.index.add(scan.text(0), scan.int64(1));  // eventId, row
  scan.reset();
  ids.loaded = true;
  ids.deleted_since_load = 0;
}

// Where the row a fingerprint named is stored, when it carries `event_id` (confirms the candidate).
std::optional<Outbox::Impl::StoredRow> Outbox::Impl::stored_row(std::int64_t id, std::string_view event_id) {
  auto& stmt = statements(sql::event_at_row);
  stmt.bind(1, id);
  std::optional<StoredRow> row;
  if (stmt.step() && stmt.text(0) == event_id)
    row = StoredRow{static_cast<int>(stmt.int64(1)), stmt.int64(2),
                    stmt.is_null(3) ? std::nullopt : std::optional<std::string>(stmt.text(3))};
  stmt.reset();
  return row;
}

void Outbox::Impl::store_dead(int tenant, const NewEvent& e, const std::string& reason, std::int64_t id,
                              EpochMillis now, EnqueueResult& result) {
  auto& insert = statements(sql::insert_dead);
  insert.bind(1, id).bind_static(2, e.event_id).bind_static(3, to_string(e.service)).bind(4, e.sequence);
  insert.bind_static(5, e.transport_id).bind_static(6, e.source_system).bind(7, now).bind_static(8, reason);
  insert.bind(9, format_iso8601_utc(now)).bind(10, tenant).run();
  if (insert.changes() == 0) {  // its sequence is stored: a re-read of the same dead letter, or other content
    check_same_content(tenant, e);
    ++result.duplicates;
    return;
  }
  statements(insert_payloads_sql(1)).bind(1, id).bind_static(2, e.payload).run();
  memory.event_ids.index.add(e.event_id, id);
  memory.count(tenant, e.service, EventState::Dead, +1);
  ++result.dead;
  result.dead_reasons.push_back(reason);
}

// A sequence stored already must hold the same event: other content means the feed was reset or
// replaced, and storing nothing (the cursor stays) is the only safe answer.
void Outbox::Impl::check_same_content(int tenant, const NewEvent& e) {
  auto& stmt = statements(sql::stored_at_sequence);
  stmt.bind(1, tenant).bind(2, e.sequence);
  std::string problem;
  if (stmt.step() && (stmt.text(0) != e.event_id || stmt.text(1) != e.payload))
    problem = fmt::format(
        "sequence {} of tenant {} is stored as eventId {}; the feed now serves {} under it{}: the feed was "
        "reset or replaced (nothing of this page was stored and the cursor stays; see `ato-bridge cursor`)",
        e.sequence, tenant_name(tenant), stmt.text(0), e.event_id,
        stmt.text(0) == e.event_id ? " with other content" : "");
  stmt.reset();
  if (!problem.empty())
    throw SequenceConflictError(fmt::format("outbox {}: {}", options.path.string(), problem));
}

}  // namespace ato::bridge
