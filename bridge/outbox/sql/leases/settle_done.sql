-- All accepted events of a package (?2: a JSON array of ids) in one statement. The outbox checked
-- the lease in memory first; an event settled meanwhile is left alone.
UPDATE events SET state = 'done', settled_at = ?1
WHERE id IN (SELECT value FROM json_each(?2)) AND settled_at IS NULL
