-- The open events of leases that ran out by ?1 (all of them at start-up after a crash).
SELECT e.id, e.attempts, e.enqueued_at, e.service
FROM leases l, json_each(l.event_ids) j JOIN events e ON e.id = j.value
WHERE l.expires_at <= ?1 AND e.settled_at IS NULL
