-- ato-bridge outbox, migration 009: one outbox for a landscape of tenants. SAP's guide sets up
-- SAP_COM_0690 per tenant (development, test, production), and real tenants share no event
-- numbering: each feed counts its own `sequence` from 1. So an event is stored under its tenant,
-- and everything keyed on the feed sequence is keyed on (tenant, sequence): ingestion's duplicate
-- check, the cursors, the claim window's load and per-transport order (bridge/outbox/claim_window.hpp
-- keeps one window per tenant; order across tenants is not ours to keep, see schema/README.md).
--
-- A tenant is a small number here (a name once, in `tenants`), so the rows and the unique index grow
-- by a byte or two, not by a name.
--
-- Outboxes written before tenants existed: their events and cursors belong to the tenant named
-- 'default', which is the name a configuration with a single `ato` section (no `tenants` list)
-- gives its one tenant. A configuration that lists tenants takes them over by naming one 'default',
-- or with `ato-bridge tenant rename default NEW` while no bridge runs.

CREATE TABLE tenants (
  id         INTEGER PRIMARY KEY,
  name       TEXT    NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 64),
  created_at INTEGER NOT NULL
);
INSERT INTO tenants (id, name, created_at)
  SELECT 1, 'default', CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)
  WHERE EXISTS (SELECT 1 FROM events) OR EXISTS (SELECT 1 FROM cursors);

CREATE TABLE events_v9 (
  id              INTEGER PRIMARY KEY,
  tenant          INTEGER NOT NULL REFERENCES tenants (id),
  event_id        TEXT    NOT NULL,          -- the idempotency key Cloud ALM deduplicates on
  service         TEXT    NOT NULL CHECK (service = 'EXPORT' OR service = 'IMPORT' OR service = 'STATUS_CHANGE'),
  sequence        INTEGER NOT NULL CHECK (sequence >= 1),  -- the tenant's feed sequence
  transport_id    TEXT    NOT NULL,
  source_system   TEXT    NOT NULL,          -- SID~client, e.g. S4H~100
  state           TEXT    NOT NULL DEFAULT 'pending'
                  CHECK (state = 'pending' OR state = 'retryable' OR state = 'done' OR state = 'dead'),
  attempts        INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  enqueued_at     INTEGER NOT NULL,
  next_attempt_at INTEGER NOT NULL,          -- due time for pending and retryable rows
  settled_at      INTEGER,                   -- when the row became done or dead
  dead_reason     TEXT,
  errors          TEXT    NOT NULL DEFAULT '[]' CHECK (json_valid(errors) AND json_type(errors) = 'array'),
  UNIQUE (tenant, sequence),                 -- ingestion dedupes on it
  CHECK ((state = 'done' OR state = 'dead') = (settled_at IS NOT NULL)),
  CHECK ((state = 'dead') = (dead_reason IS NOT NULL))
);
INSERT INTO events_v9 (id, tenant, event_id, service, sequence, transport_id, source_system, state, attempts,
                       enqueued_at, next_attempt_at, settled_at, dead_reason, errors)
  SELECT id, 1, event_id, service, sequence, transport_id, source_system, state, attempts, enqueued_at,
         next_attempt_at, settled_at, dead_reason, errors
  FROM events ORDER BY id;
DROP TRIGGER events_payload_follows;  -- before the drop: it must not delete the payloads
DROP TABLE events;
ALTER TABLE events_v9 RENAME TO events;
CREATE TRIGGER events_payload_follows AFTER DELETE ON events
BEGIN
  DELETE FROM payloads WHERE id = old.id;
END;
-- The claim window's load: a tenant's open events in sequence order (as 005, per tenant).
CREATE INDEX events_open ON events (tenant, sequence) WHERE settled_at IS NULL;
CREATE INDEX events_dead_by_event_id ON events (event_id) WHERE state = 'dead';

-- Per tenant and event service: collected up to this sequence of the tenant's feed.
CREATE TABLE cursors_v9 (
  tenant     INTEGER NOT NULL REFERENCES tenants (id),
  service    TEXT    NOT NULL CHECK (service = 'EXPORT' OR service = 'IMPORT' OR service = 'STATUS_CHANGE'),
  sequence   INTEGER NOT NULL CHECK (sequence >= 0),
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (tenant, service)
) WITHOUT ROWID;
INSERT INTO cursors_v9 (tenant, service, sequence, updated_at)
  SELECT 1, service, sequence, updated_at FROM cursors;
DROP TABLE cursors;
ALTER TABLE cursors_v9 RENAME TO cursors;
