-- Every cursor by tenant name and service, for `ato-bridge cursor show`.
SELECT t.name, c.service, c.sequence, c.updated_at FROM cursors c JOIN tenants t ON t.id = c.tenant
ORDER BY t.name, c.service
