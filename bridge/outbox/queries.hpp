// The outbox's hot SQL, in one place: the outbox prepares it, the plan test explains it, and the
// benchmark runs the very same statements on bare SQLite as its reference.
#pragma once

#include <string>
#include <string_view>

namespace ato::bridge::queries {

// The events the claim window chose (?1: a JSON array of row ids; bridge/outbox/claim_window.hpp
// decides per-transport order, due time, watermark and paused systems) that are still in the state
// `state` it saw ('pending' or 'retryable'), each with its payload. A row changed since the window
// saw it is left out: the outbox then loads the window again. The claim then records one lease for
// what was read (kInsertLease).
// The state is written into the statement, not bound: the planner compares a bound state with the
// partial index events_dead_by_event_id (state = 'dead'), and SQLite then prepares the statement
// again after every new binding. That re-prepare was ~5% of the outbox thread's time while a backlog
// drained.
inline std::string read_claimed(std::string_view state) {
  return "SELECT e.id, e.event_id, e.sequence, e.transport_id, e.source_system, e.attempts, e.enqueued_at, "
         "e.next_attempt_at, p.payload FROM events e JOIN payloads p ON p.id = e.id "
         "WHERE e.id IN (SELECT value FROM json_each(?1)) AND e.state = '" +
         std::string(state) + "'";
}

// A lease is one row per claimed package (schema/outbox/006_leases_per_package.sql): the events it
// lists (?3, a JSON array of ids) are in flight until settled or rescued.
inline constexpr const char* kInsertLease =
    "INSERT INTO leases (token, expires_at, event_ids) VALUES (?1, ?2, ?3)";
// Settling removes the settled events from their lease; the row goes with the last one.
inline constexpr const char* kShrinkLease = "UPDATE leases SET event_ids = ?2 WHERE token = ?1";
inline constexpr const char* kEndLease = "DELETE FROM leases WHERE token = ?1";
// Every event in flight, with its lease and the state it was claimed from.
inline constexpr const char* kLoadLeases =
    "SELECT l.token, e.id, e.state, e.next_attempt_at, e.service, e.tenant FROM leases l, "
    "json_each(l.event_ids) j "
    "JOIN events e ON e.id = j.value WHERE e.settled_at IS NULL";

// A claim window's load: tenant ?3's open events (pending, retryable, in flight) above ?1 in
// sequence order, through the partial index events_open (schema/outbox/009).
inline constexpr const char* kLoadWindow =
    "SELECT id, sequence, service, transport_id, source_system, state, next_attempt_at, enqueued_at FROM "
    "events "
    "WHERE settled_at IS NULL AND tenant = ?3 AND sequence > ?1 ORDER BY sequence LIMIT ?2";

// Storing: `rows` events in one statement, each bound as (id, event_id, service, sequence,
// transport_id, source_system, enqueued_at, next_attempt_at, tenant); the outbox assigns the ids above the
// highest stored, in the order it stores them (the recording reads them back in that order).
// One statement per event cost ~1.7 us more per event than one per 50 (bare SQLite, 1M events).
// An event whose sequence is stored already for its tenant is a duplicate and skipped, its id unused
// (schema/outbox/002_lean_hot_path.sql says why the sequence, not the eventId).
inline constexpr int kStoreChunk = 50;
inline constexpr int kInsertEventColumns = 9;
inline std::string insert_events(int rows) {
  std::string sql =
      "INSERT INTO events (id, event_id, service, sequence, transport_id, source_system, enqueued_at, "
      "next_attempt_at, tenant) VALUES ";
  for (int r = 0; r < rows; ++r) sql += r ? ",(?,?,?,?,?,?,?,?,?)" : "(?,?,?,?,?,?,?,?,?)";
  return sql + " ON CONFLICT (tenant, sequence) DO NOTHING";
}
// The payloads of stored events, (id, payload) each.
inline std::string insert_payloads(int rows) {
  std::string sql = "INSERT INTO payloads (id, payload) VALUES ";
  for (int r = 0; r < rows; ++r) sql += r ? ",(?,?)" : "(?,?)";
  return sql;
}
inline constexpr const char* kHighestId = "SELECT coalesce(max(id), 0) FROM events";
// Which of the ids a store assigned were stored (the rest were duplicates).
inline constexpr const char* kStoredIds =
    "SELECT id FROM events WHERE id IN (SELECT value FROM json_each(?1))";

inline constexpr const char* kUpsertCursor =
    "INSERT INTO cursors (tenant, service, sequence, updated_at) VALUES (?4, ?1, ?2, ?3) ON CONFLICT "
    "(tenant, "
    "service) DO UPDATE SET sequence = max(sequence, excluded.sequence), updated_at = excluded.updated_at";

// All accepted events of a package (?2: a JSON array of ids) in one statement. The outbox checked
// the lease in memory first; an event settled meanwhile is left alone.
inline constexpr const char* kSettleDone =
    "UPDATE events SET state = 'done', settled_at = ?1 WHERE id IN (SELECT value FROM json_each(?2)) "
    "AND settled_at IS NULL";

// Retention (schema/outbox/007): rows in stored order with the time a done row was delivered (NULL
// for open rows and dead letters) and its service.
inline constexpr const char* kRetentionScan =
    "SELECT id, CASE WHEN state = 'done' THEN settled_at END, service, tenant FROM events WHERE id > ?1 "
    "ORDER BY id "
    "LIMIT ?2";

}  // namespace ato::bridge::queries
