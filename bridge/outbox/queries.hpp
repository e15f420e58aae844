// The outbox's hot SQL, in one place: the outbox prepares it, the plan test explains it, and the
// benchmark runs the very same statements on bare SQLite as its reference.
#pragma once

#include <string>

namespace ato::bridge::queries {

// Leases up to ?7 due events of service ?3 in sequence order, none above the watermark ?6, only
// heads of their transports (no earlier event of the transport open: schema/outbox/003 keeps the
// flag). SQLite uses a partial index only when its simple prover sees the index's WHERE in the
// query's: hence the state as a literal (never a bound parameter) and the otherwise redundant terms,
// copied verbatim from the index's condition. Each event's payload (in its own table) comes back
// with it: one statement per claim, not one more per event.
// `excluding_systems`: also skip events whose source system is in the JSON array ?8 (systems paused
// because Cloud ALM does not know them yet).
inline std::string claim(bool from_retryable, bool excluding_systems = false) {
  return std::string(
             "UPDATE events SET state = 'in_flight', lease_token = ?1, lease_expires_at = ?2 WHERE id IN ("
             " SELECT e.id FROM events e WHERE e.service = ?3"
             " AND (e.state = 'pending' OR e.state = 'retryable') AND e.transport_head = 1"
             " AND e.state = ") +
         (from_retryable ? "'retryable'" : "'pending'") +
         " AND e.next_attempt_at <= ?5 AND e.sequence <= ?6" +
         (excluding_systems ? " AND e.source_system NOT IN (SELECT value FROM json_each(?8))" : "") +
         " ORDER BY e.sequence LIMIT ?7) "
         "RETURNING id, event_id, sequence, transport_id, source_system, attempts, enqueued_at, "
         "(SELECT p.payload FROM payloads p WHERE p.id = events.id)";
}

// An event whose feed sequence is stored already is a duplicate (schema/outbox/002_lean_hot_path.sql
// says why the sequence, not the eventId). The payload follows with the new row's id. It is its
// transport's head unless an earlier event of the transport is open (schema/outbox/004 says why
// here and not in a trigger); kDemoteLaterHeads follows every stored event.
inline constexpr const char* kInsertEvent =
    "INSERT INTO events (event_id, service, sequence, transport_id, source_system, enqueued_at, "
    "next_attempt_at, transport_head) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, NOT EXISTS (SELECT 1 FROM events p "
    "WHERE p.transport_id = ?4 AND p.sequence < ?3 AND p.settled_at IS NULL)) ON CONFLICT (sequence) DO "
    "NOTHING";
// A stored event ends the headship of later open events of its transport (a slower service's poll
// brought an earlier event; the low watermark kept those later ones from leaving meanwhile).
inline constexpr const char* kDemoteLaterHeads =
    "UPDATE events SET transport_head = 0 WHERE transport_id = ?1 AND sequence > ?2 AND settled_at IS NULL "
    "AND transport_head = 1";
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
