-- Its payload.
INSERT INTO payloads (id, payload) VALUES (?1, ?2) ON CONFLICT DO NOTHING
