-- The tenants the copied events name.
SELECT DISTINCT tenant FROM events
