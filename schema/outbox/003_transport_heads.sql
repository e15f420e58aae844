-- ato-bridge outbox, migration 003: per-transport order is kept on the rows, not searched at claim
-- time. Until now the claim walked a service's open events in sequence order and, for each one,
-- probed for an earlier open event of its transport. In a backlog most candidates are waiting for
-- an earlier event of their transport (an import for its export, a status change for its import),
-- so a claim probed hundreds of them and found few: claims took 65% of the outbox's time while a
-- 94,000-event backlog drained, an empty one ~3.6 ms.
--
-- Now an open event carries `transport_head` = 1 when no earlier event of its transport is open,
-- and only heads are claimable. Triggers keep the flag true in every transition, so no code path
-- can forget it:
--   * an event is stored: it is a head unless an earlier event of its transport is open, and it
--     ends the headship of later open events of its transport (a slower service's poll brought an
--     earlier event; the low watermark kept those later ones from leaving meanwhile);
--   * an event is settled (done or dead): the next open event of its transport becomes the head;
--   * a dead letter is re-queued: it is a head unless an earlier event is open, and later open
--     events of its transport wait for it again.
-- Claims hold at most one event per transport, and an in-flight event is always a head.
-- Measured on the same backlog (bench/e2e.sh, 94,458 events): claims went from 59 to 17 us per
-- event, empty ones from 3.6 ms to 0.06 ms; settling went from 19 to 48 us per event, because
-- promoting the next event writes that event's page. The outbox's time per event fell ~17%.

ALTER TABLE events ADD COLUMN transport_head INTEGER NOT NULL DEFAULT 0
  CHECK (transport_head = 0 OR transport_head = 1);

UPDATE events SET transport_head = 1
  WHERE settled_at IS NULL AND NOT EXISTS (
    SELECT 1 FROM events p
    WHERE p.transport_id = events.transport_id AND p.sequence < events.sequence AND p.settled_at IS NULL);

-- Claim: due heads of one service in sequence order; nothing to skip.
DROP INDEX events_claimable;
CREATE INDEX events_claimable ON events (service, state, sequence)
  WHERE (state = 'pending' OR state = 'retryable') AND transport_head = 1;

CREATE TRIGGER events_head_on_insert AFTER INSERT ON events
BEGIN
  UPDATE events SET transport_head = NOT EXISTS (
      SELECT 1 FROM events p
      WHERE p.transport_id = new.transport_id AND p.sequence < new.sequence AND p.settled_at IS NULL)
    WHERE id = new.id;
  UPDATE events SET transport_head = 0
    WHERE transport_id = new.transport_id AND sequence > new.sequence AND settled_at IS NULL
      AND transport_head = 1;
END;

CREATE TRIGGER events_head_on_settle AFTER UPDATE OF settled_at ON events
  WHEN old.settled_at IS NULL AND new.settled_at IS NOT NULL
BEGIN
  UPDATE events SET transport_head = 1
    WHERE id = (SELECT n.id FROM events n
                WHERE n.transport_id = new.transport_id AND n.sequence > new.sequence
                  AND n.settled_at IS NULL
                ORDER BY n.sequence LIMIT 1);
END;

CREATE TRIGGER events_head_on_requeue AFTER UPDATE OF settled_at ON events
  WHEN old.settled_at IS NOT NULL AND new.settled_at IS NULL
BEGIN
  UPDATE events SET transport_head = NOT EXISTS (
      SELECT 1 FROM events p
      WHERE p.transport_id = new.transport_id AND p.sequence < new.sequence AND p.settled_at IS NULL)
    WHERE id = new.id;
  UPDATE events SET transport_head = 0
    WHERE transport_id = new.transport_id AND sequence > new.sequence AND settled_at IS NULL
      AND transport_head = 1;
END;
