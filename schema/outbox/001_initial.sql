-- ato-bridge outbox, migration 001 (our definition; see schema/README.md).
-- Times are integer epoch milliseconds computed by the bridge: SQLite 3.40's datetime() has no
-- sub-second precision we can rely on, and integers compare and index cheaply.
-- Value lists are written `x = 'a' OR x = 'b'`, never `x IN ('a', 'b', 'c')`: SQLite builds a
-- temporary table for an IN list of three or more on every execution, which made every insert
-- and update ~35% slower in CHECKs and partial-index conditions (bench/run outbox).

-- One row per collected ATO event, from collection until Cloud ALM accepted it (done) or it was
-- given up on with a stated reason (dead). States and their invariants are enforced here, so no
-- code path can leave a row half-transitioned.
CREATE TABLE events (
  id              INTEGER PRIMARY KEY,
  event_id        TEXT    NOT NULL UNIQUE,   -- the idempotency key, stable across re-sends
  service         TEXT    NOT NULL CHECK (service = 'EXPORT' OR service = 'IMPORT' OR service = 'STATUS_CHANGE'),
  sequence        INTEGER NOT NULL CHECK (sequence >= 1),
  transport_id    TEXT    NOT NULL,
  source_system   TEXT    NOT NULL,          -- SID~client, e.g. S4H~100
  payload         TEXT    NOT NULL,          -- the event as JSON, exactly as pushed
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

-- Claim: due rows of one service (or, for the retry job, retryable rows of any service) in sequence order.
CREATE INDEX events_claimable ON events (service, state, sequence)
  WHERE state = 'pending' OR state = 'retryable';
-- Per-transport order: "is an earlier event of this transport still open?" Open means not yet done
-- or dead, i.e. settled_at IS NULL (the CHECK below makes the two the same). Keyed on settled_at,
-- not state, the entry stays untouched while the event moves between pending, in_flight and
-- retryable: SQLite rewrites an index entry whenever a column of its condition changes.
CREATE INDEX events_open_by_transport ON events (transport_id, sequence) WHERE settled_at IS NULL;
-- Rescuer: leases that ran out.
CREATE INDEX events_leases ON events (lease_expires_at) WHERE state = 'in_flight';
-- Retention of done rows, and listing of dead letters.
CREATE INDEX events_settled ON events (state, settled_at) WHERE state = 'done' OR state = 'dead';

-- Per event service: collected up to this feed sequence (the feed's head at the last complete poll).
-- Written in the same transaction as the events it covers, so it never runs ahead of them.
CREATE TABLE cursors (
  service    TEXT    PRIMARY KEY CHECK (service = 'EXPORT' OR service = 'IMPORT' OR service = 'STATUS_CHANGE'),
  sequence   INTEGER NOT NULL CHECK (sequence >= 0),
  updated_at INTEGER NOT NULL
) WITHOUT ROWID;
