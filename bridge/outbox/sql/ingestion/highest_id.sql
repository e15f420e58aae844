-- The highest stored row id (0 when empty): new events are numbered above it.
SELECT coalesce(max(id), 0) FROM events
