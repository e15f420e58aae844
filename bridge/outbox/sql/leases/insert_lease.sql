-- A lease is one row per claimed package (schema/outbox/006_leases_per_package.sql): the events it
-- lists (?3, a JSON array of ids) are in flight until settled or rescued.
INSERT INTO leases (token, expires_at, event_ids) VALUES (?1, ?2, ?3)
