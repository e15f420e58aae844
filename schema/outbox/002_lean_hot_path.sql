-- ato-bridge outbox, migration 002: the same states and invariants, laid out so that the hot path
-- (enqueue, claim, settle) writes few pages. SQLite's WAL writes every page a transaction touched, in
-- full, and the checkpoint writes it again: ~20 KB were written per delivered event with migration
-- 001's layout. Two changes, measured on a 300,000-event outbox with the simulator's event shapes:
--   1. Ingestion deduplicates on the feed's `sequence` (unique and monotonic per ATO tenant), not on
--      `event_id`: a random UUID's unique index touches a random page on every insert (9.1 KB written
--      per enqueued event; 2.3 KB keyed on sequence, whose index only ever grows at its end).
--      Cloud ALM still deduplicates by eventId; the outbox never needed a second guard.
--   2. Payloads live in their own table, written once and deleted once: the state updates of claim and
--      settle rewrite small rows (~30 to a page instead of ~4).
--      Claim + settle: 10.9 KB written per event before, 6.7 KB after.
-- Measured and rejected: a per-transport index over every row (settling would not touch it) cut the
-- writes further, but the claim then reads each earlier row of a transport: CPU went up more.

CREATE TABLE events_v2 (
  id              INTEGER PRIMARY KEY,
  event_id        TEXT    NOT NULL,          -- the idempotency key Cloud ALM deduplicates on
  service         TEXT    NOT NULL CHECK (service = 'EXPORT' OR service = 'IMPORT' OR service = 'STATUS_CHANGE'),
  sequence        INTEGER NOT NULL UNIQUE CHECK (sequence >= 1),  -- the feed's: ingestion dedupes on it
  transport_id    TEXT    NOT NULL,
  source_system   TEXT    NOT NULL,          -- SID~client, e.g. S4H~100
  state           TEXT    NOT NULL DEFAULT 'pending'
                  CHECK (state = 'pending' OR state = 'in_flight' OR state = 'retryable' OR state = 'done'
                         OR state = 'dead'),
  attempts        INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  enqueued_at     INTEGER NOT NULL,
  next_attempt_at INTEGER NOT NULL,          -- due time for pending and retryable rows
  lease_token     INTEGER,                   -- set while in flight; a settle must present it
  lease_expires_at INTEGER,                  -- the rescuer returns rows whose lease ran out
  settled_at      INTEGER,                   -- when the row became done or dead
  dead_reason     TEXT,
  errors          TEXT    NOT NULL DEFAULT '[]' CHECK (json_valid(errors) AND json_type(errors) = 'array'),
  CHECK ((state = 'in_flight') = (lease_token IS NOT NULL AND lease_expires_at IS NOT NULL)),
  CHECK ((state = 'done' OR state = 'dead') = (settled_at IS NOT NULL)),
  CHECK ((state = 'dead') = (dead_reason IS NOT NULL))
);

-- The event as JSON, exactly as pushed; one row per events row, same id.
CREATE TABLE payloads (
  id      INTEGER PRIMARY KEY,
  payload TEXT    NOT NULL
);

INSERT INTO events_v2 (id, event_id, service, sequence, transport_id, source_system, state, attempts,
                       enqueued_at, next_attempt_at, lease_token, lease_expires_at, settled_at, dead_reason,
                       errors)
  SELECT id, event_id, service, sequence, transport_id, source_system, state, attempts, enqueued_at,
         next_attempt_at, lease_token, lease_expires_at, settled_at, dead_reason, errors
  FROM events ORDER BY id;
INSERT INTO payloads (id, payload) SELECT id, payload FROM events ORDER BY id;
DROP TABLE events;
ALTER TABLE events_v2 RENAME TO events;

-- A row and its payload go together (retention deletes rows; nothing else does).
CREATE TRIGGER events_payload_follows AFTER DELETE ON events
BEGIN
  DELETE FROM payloads WHERE id = old.id;
END;

-- Claim: due rows of one service in sequence order (as in 001).
CREATE INDEX events_claimable ON events (service, state, sequence)
  WHERE state = 'pending' OR state = 'retryable';
-- Per-transport order: "is an earlier event of this transport still open?" (as 001's
-- events_open_by_transport: keyed on settled_at, so moving between the open states never touches it).
CREATE INDEX events_by_transport ON events (transport_id, sequence) WHERE settled_at IS NULL;
-- Rescuer: leases that ran out.
CREATE INDEX events_leases ON events (lease_expires_at) WHERE state = 'in_flight';
-- Retention of done rows, and listing of dead letters.
CREATE INDEX events_settled ON events (state, settled_at) WHERE state = 'done' OR state = 'dead';
-- `dead-letters show|requeue EVENT_ID`: only dead rows need finding by eventId.
CREATE INDEX events_dead_by_event_id ON events (event_id) WHERE state = 'dead';
