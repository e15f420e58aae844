-- The random identity of this file (schema/outbox/008).
SELECT id FROM outbox_identity
