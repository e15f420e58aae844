-- The delivered rows a retention batch found (?1, a JSON array of ids).
DELETE FROM events WHERE id IN (SELECT value FROM json_each(?1))
