-- A cursor rebuilt from what was salvaged: the highest sequence of tenant ?1 and service ?2.
SELECT max(sequence) FROM events WHERE tenant = ?1 AND service = ?2
