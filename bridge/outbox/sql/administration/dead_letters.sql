-- Dead letters matching a filter, oldest first: ?1 service, ?2 transport, ?3 words of the reason,
-- ?5 tenant (each NULL: any), at most ?4.
SELECT event_id, service, sequence, transport_id, source_system, attempts, enqueued_at, settled_at,
  dead_reason, errors, (SELECT payload FROM payloads WHERE payloads.id = events.id),
  (SELECT name FROM tenants WHERE tenants.id = events.tenant)
FROM events WHERE state = 'dead' AND (?1 IS NULL OR service = ?1) AND (?2 IS NULL OR transport_id = ?2)
  AND (?3 IS NULL OR instr(dead_reason, ?3) > 0)
  AND (?5 IS NULL OR tenant = (SELECT id FROM tenants WHERE name = ?5))
ORDER BY settled_at, id LIMIT ?4
