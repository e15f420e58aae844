// The outbox's hot SQL, in one place: the outbox prepares it, the plan test explains it, and the
// benchmark runs the very same statements on bare SQLite as its reference.
#pragma once

#include <string>

namespace ato::bridge::queries {

// Leases the events the claim window chose (?3: a JSON array of row ids; bridge/outbox/
// claim_window.hpp decides per-transport order, due time, watermark and paused systems). A row no
// longer in the expected state (changed since the window saw it) is left alone: the outbox then
// loads the window again. kReadClaimed then reads what was leased.
inline std::string claim(bool from_retryable) {
  return std::string(
             "UPDATE events SET state = 'in_flight', lease_token = ?1, lease_expires_at = ?2 "
             "WHERE id IN (SELECT value FROM json_each(?3)) AND state = ") +
         (from_retryable ? "'retryable'" : "'pending'");
}

// The events of lease ?2 among the rows ?1 (a JSON array of ids), each with its payload. A plain
// read after the update: RETURNING buffered every row with its payload in a temporary table
// first, and the claim cost more than storing the events had.
inline constexpr const char* kReadClaimed =
    "SELECT e.id, e.event_id, e.sequence, e.transport_id, e.source_system, e.attempts, e.enqueued_at, "
    "p.payload FROM events e JOIN payloads p ON p.id = e.id WHERE e.id IN (SELECT value FROM json_each(?1)) "
    "AND e.lease_token = ?2";

// The claim window's load: open events (pending, retryable, in flight) above ?1 in sequence order,
// through the partial index events_open (schema/outbox/005).
inline constexpr const char* kLoadWindow =
    "SELECT id, sequence, service, transport_id, source_system, state, next_attempt_at FROM events "
    "WHERE settled_at IS NULL AND sequence > ?1 ORDER BY sequence LIMIT ?2";

// An event whose feed sequence is stored already is a duplicate (schema/outbox/002_lean_hot_path.sql
// says why the sequence, not the eventId). The payload follows with the new row's id.
inline constexpr const char* kInsertEvent =
    "INSERT INTO events (event_id, service, sequence, transport_id, source_system, enqueued_at, "
    "next_attempt_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6) ON CONFLICT (sequence) DO NOTHING";
inline constexpr const char* kInsertPayload = "INSERT INTO payloads (id, payload) VALUES (?1, ?2)";

inline constexpr const char* kUpsertCursor =
    "INSERT INTO cursors (service, sequence, updated_at) VALUES (?1, ?2, ?3) ON CONFLICT (service) DO UPDATE "
    "SET sequence = max(sequence, excluded.sequence), updated_at = excluded.updated_at";

// All accepted events of a package (?2: a JSON array of ids) in one statement; a row whose lease
// is no longer ?3 (rescued meanwhile) is left alone.
inline constexpr const char* kSettleDone =
    "UPDATE events SET state = 'done', settled_at = ?1, lease_token = NULL, lease_expires_at = NULL "
    "WHERE id IN (SELECT value FROM json_each(?2)) AND state = 'in_flight' AND lease_token = ?3";

}  // namespace ato::bridge::queries
