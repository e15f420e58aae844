-- A cursor (?1 service, ?2 sequence, ?3 tenant).
INSERT INTO cursors (tenant, service, sequence, updated_at) VALUES (?3, ?1, ?2, 0)
