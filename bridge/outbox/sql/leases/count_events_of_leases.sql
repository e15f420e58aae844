-- How many events the leases ?1 (a JSON array of tokens) list.
SELECT coalesce(sum(json_array_length(event_ids)), 0) FROM leases
WHERE token IN (SELECT value FROM json_each(?1))
