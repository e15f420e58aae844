-- The payloads of stored events, %ROWS% pairs of (id, payload).
INSERT INTO payloads (id, payload) VALUES %ROWS%
