-- The leases ?1 (a JSON array of tokens) end: their events wait again as they were claimed.
DELETE FROM leases WHERE token IN (SELECT value FROM json_each(?1))
