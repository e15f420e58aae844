-- Retention (schema/outbox/007): rows after ?1 in stored order, at most ?2, with the time a done row
-- was delivered (NULL for open rows and dead letters), its service and tenant.
SELECT id, CASE WHEN state = 'done' THEN settled_at END, service, tenant FROM events WHERE id > ?1
ORDER BY id LIMIT ?2
