-- A tenant the outbox has not seen: ?1 its number, ?2 its name, ?3 when.
INSERT INTO tenants (id, name, created_at) VALUES (?1, ?2, ?3)
