-- Invariant: a lease lists only stored, unsettled events.
SELECT count(*) FROM leases l, json_each(l.event_ids) j LEFT JOIN events e ON e.id = j.value
WHERE e.id IS NULL OR e.settled_at IS NOT NULL
