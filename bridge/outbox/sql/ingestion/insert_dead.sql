-- An event that must never be pushed, stored as a dead letter with its reason (?8) as the first
-- entry of its history. ?1 id, ?2 eventId, ?3 service, ?4 sequence, ?5 transport, ?6 source system,
-- ?7 now (epoch ms), ?9 now (ISO 8601), ?10 tenant.
INSERT INTO events (id, tenant, event_id, service, sequence, transport_id, source_system, state,
  enqueued_at, next_attempt_at, settled_at, dead_reason, errors)
VALUES (?1, ?10, ?2, ?3, ?4, ?5, ?6, 'dead', ?7, ?7, ?7, ?8,
  json_array(json_object('at', ?9, 'attempt', 0, 'http_status', NULL, 'message', ?8)))
ON CONFLICT (tenant, sequence) DO NOTHING
