-- What the retry policy needs of an open event: its attempts and when it was stored.
SELECT attempts, enqueued_at FROM events WHERE id = ?1 AND settled_at IS NULL
