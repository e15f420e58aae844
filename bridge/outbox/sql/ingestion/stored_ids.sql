-- Which of the ids a store assigned (?1, a JSON array) were stored; the rest were duplicates.
SELECT id FROM events WHERE id IN (SELECT value FROM json_each(?1))
