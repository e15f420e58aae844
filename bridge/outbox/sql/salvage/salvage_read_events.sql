-- Rows ?1 to ?2 of the damaged file, with their payloads where they can be read.
SELECT e.id, e.event_id, e.service, e.sequence, e.transport_id, e.source_system, e.state, e.attempts,
  e.enqueued_at, e.next_attempt_at, e.settled_at, e.dead_reason, e.errors, p.payload, e.tenant
FROM events e LEFT JOIN payloads p ON p.id = e.id WHERE e.id BETWEEN ?1 AND ?2 ORDER BY e.id
