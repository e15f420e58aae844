-- The recording (`run --record`): payloads stored after row ?1, in stored order, at most ?2.
SELECT id, payload FROM payloads WHERE id > ?1 ORDER BY id LIMIT ?2
