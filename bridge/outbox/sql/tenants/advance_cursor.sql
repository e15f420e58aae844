-- The collector's move (?1 service, ?2 sequence, ?3 when, ?4 tenant): never backwards.
INSERT INTO cursors (tenant, service, sequence, updated_at) VALUES (?4, ?1, ?2, ?3)
ON CONFLICT (tenant, service) DO UPDATE
SET sequence = max(sequence, excluded.sequence), updated_at = excluded.updated_at
