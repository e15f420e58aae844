-- Every event in flight, with its lease and the state it was claimed from.
SELECT l.token, e.id, e.state, e.next_attempt_at, e.service, e.tenant
FROM leases l, json_each(l.event_ids) j JOIN events e ON e.id = j.value
WHERE e.settled_at IS NULL
