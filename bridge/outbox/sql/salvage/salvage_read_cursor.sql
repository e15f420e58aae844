-- The damaged file's cursor of tenant ?1 and service ?2.
SELECT sequence FROM cursors WHERE tenant = ?1 AND service = ?2
