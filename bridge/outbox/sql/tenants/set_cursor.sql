-- An operator's correction (`ato-bridge cursor set`): lower or higher, as given.
INSERT INTO cursors (tenant, service, sequence, updated_at) VALUES (?4, ?1, ?2, ?3)
ON CONFLICT (tenant, service) DO UPDATE
SET sequence = excluded.sequence, updated_at = excluded.updated_at
