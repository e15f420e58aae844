-- What tenant ?1 stored under sequence ?2: a re-read must carry the same event.
SELECT e.event_id, p.payload FROM events e JOIN payloads p ON p.id = e.id
WHERE e.tenant = ?1 AND e.sequence = ?2
