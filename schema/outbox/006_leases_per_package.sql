-- ato-bridge outbox, migration 006: a lease is one row per claimed package, no longer written on
-- every event. Until now a claim set state = 'in_flight', lease_token and lease_expires_at on each
-- of the package's rows (and entered them in the index events_leases), and settling wrote all three
-- back. That was a write of every event's row and index entry twice, for a fact about the package.
--
-- Now a claim writes one `leases` row: the token, when it runs out, and the ids of its events. The
-- events keep the state they were claimed from (pending or retryable); an event is in flight while
-- a lease lists it. Settling removes the settled ids from their lease (the row goes with the last
-- one), in the same transaction as the events' new states, so a crash leaves either both or neither.
-- The rescuer and the start-up after a crash work from the leases, as before: their events become
-- retryable with the attempt counted, because they may have reached Cloud ALM.
--
-- Measured on a 1,000,000-event outbox (realistic transports, packages of 100, two per commit; the
-- outbox's statements on bare SQLite): claim + settle took 9.4-9.8 us per event with the lease on
-- every row, 6.4-6.6 us with a lease per package. bench/README.md has the bridge's figures.
--
-- The events table is rebuilt without the columns nobody writes any more: lease_token,
-- lease_expires_at, and transport_head (unused since 005). Its CHECKs name them, so SQLite cannot
-- drop them in place. Rows in flight when this runs keep their lease, as a `leases` row.

CREATE TABLE leases (
  token      INTEGER PRIMARY KEY,  -- the package's lease token: a settle must present it
  expires_at INTEGER NOT NULL,     -- the rescuer returns the events of a lease that ran out
  event_ids  TEXT    NOT NULL      -- JSON array of the events (rows of `events`) still in flight
             CHECK (json_valid(event_ids) AND json_type(event_ids) = 'array')
);

INSERT INTO leases (token, expires_at, event_ids)
  SELECT lease_token, max(lease_expires_at), json_group_array(id) FROM events
  WHERE state = 'in_flight' GROUP BY lease_token;

CREATE TABLE events_v6 (
  id              INTEGER PRIMARY KEY,
  event_id        TEXT    NOT NULL,          -- the idempotency key Cloud ALM deduplicates on
  service         TEXT    NOT NULL CHECK (service = 'EXPORT' OR service = 'IMPORT' OR service = 'STATUS_CHANGE'),
  sequence        INTEGER NOT NULL UNIQUE CHECK (sequence >= 1),  -- the feed's: ingestion dedupes on it
  transport_id    TEXT    NOT NULL,
  source_system   TEXT    NOT NULL,          -- SID~client, e.g. S4H~100
  -- In flight is not a state of the row: a lease lists the event meanwhile (see above).
  state           TEXT    NOT NULL DEFAULT 'pending'
                  CHECK (state = 'pending' OR state = 'retryable' OR state = 'done' OR state = 'dead'),
  attempts        INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  enqueued_at     INTEGER NOT NULL,
  next_attempt_at INTEGER NOT NULL,          -- due time for pending and retryable rows
  settled_at      INTEGER,                   -- when the row became done or dead
  dead_reason     TEXT,
  errors          TEXT    NOT NULL DEFAULT '[]' CHECK (json_valid(errors) AND json_type(errors) = 'array'),
  CHECK ((state = 'done' OR state = 'dead') = (settled_at IS NOT NULL)),
  CHECK ((state = 'dead') = (dead_reason IS NOT NULL))
);

-- An event in flight goes back to the state it was claimed from: pending when no attempt failed yet.
INSERT INTO events_v6 (id, event_id, service, sequence, transport_id, source_system, state, attempts,
                       enqueued_at, next_attempt_at, settled_at, dead_reason, errors)
  SELECT id, event_id, service, sequence, transport_id, source_system,
         CASE WHEN state <> 'in_flight' THEN state WHEN attempts = 0 THEN 'pending' ELSE 'retryable' END,
         attempts, enqueued_at, next_attempt_at, settled_at, dead_reason, errors
  FROM events ORDER BY id;
DROP TRIGGER events_payload_follows;  -- before the drop: it must not delete the payloads
DROP TABLE events;
ALTER TABLE events_v6 RENAME TO events;

-- As before (002, 005); events_leases is gone with the per-event lease.
CREATE TRIGGER events_payload_follows AFTER DELETE ON events
BEGIN
  DELETE FROM payloads WHERE id = old.id;
END;
CREATE INDEX events_open ON events (sequence) WHERE settled_at IS NULL;
CREATE INDEX events_settled ON events (state, settled_at) WHERE state = 'done' OR state = 'dead';
CREATE INDEX events_dead_by_event_id ON events (event_id) WHERE state = 'dead';
