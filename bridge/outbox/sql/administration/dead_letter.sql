-- One dead letter by eventId (?1), with its payload.
SELECT event_id, service, sequence, transport_id, source_system, attempts, enqueued_at, settled_at,
  dead_reason, errors, (SELECT payload FROM payloads WHERE payloads.id = events.id),
  (SELECT name FROM tenants WHERE tenants.id = events.tenant)
FROM events WHERE event_id = ?1 AND state = 'dead'
