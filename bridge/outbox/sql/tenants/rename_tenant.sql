-- `ato-bridge tenant rename`: ?1 the old name, ?2 the new.
UPDATE tenants SET name = ?2 WHERE name = ?1
