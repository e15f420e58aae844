-- ato-bridge outbox, migration 008: find a stored event by its eventId, so ingestion can tell a
-- conflict from a duplicate. A feed that serves one eventId twice with different content (another
-- sequence) must not have the second settled as delivered because Cloud ALM answers "duplicate" for
-- the eventId it already has: the second is stored as a dead letter with reason EVENT_ID_CONFLICT
-- (bridge/outbox/outbox.cpp), never pushed. Migration 002 dropped the unique eventId index for the
-- hot path; this one is not unique (an outbox written before it may hold such conflicts already, and
-- the dead letter itself shares the eventId), and every stored event pays one entry in it.
CREATE INDEX events_by_event_id ON events (event_id);
