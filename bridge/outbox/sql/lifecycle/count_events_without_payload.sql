-- Invariant: every event has its payload.
SELECT count(*) FROM events e WHERE NOT EXISTS (SELECT 1 FROM payloads p WHERE p.id = e.id)
