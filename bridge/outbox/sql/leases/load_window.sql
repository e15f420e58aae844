-- A claim window's load: tenant ?3's open events (pending, retryable, in flight) above sequence ?1,
-- at most ?2, in sequence order, through the partial index events_open (schema/outbox/009).
SELECT id, sequence, service, transport_id, source_system, state, next_attempt_at, enqueued_at
FROM events WHERE settled_at IS NULL AND tenant = ?3 AND sequence > ?1 ORDER BY sequence LIMIT ?2
