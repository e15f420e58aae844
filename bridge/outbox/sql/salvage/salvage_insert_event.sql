-- A row copied as it was (?1 to ?14, in the columns' order below).
INSERT INTO events (id, event_id, service, sequence, transport_id, source_system, state, attempts,
  enqueued_at, next_attempt_at, settled_at, dead_reason, errors, tenant)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14) ON CONFLICT DO NOTHING
