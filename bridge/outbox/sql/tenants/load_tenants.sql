-- Tenants by number (schema/outbox/009).
SELECT id, name FROM tenants
