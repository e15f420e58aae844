-- A tenant by number (?1) and name (?2).
INSERT INTO tenants (id, name, created_at) VALUES (?1, ?2, 0)
