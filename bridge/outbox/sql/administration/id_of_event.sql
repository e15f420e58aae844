-- The row of the event stored with sequence ?1 and eventId ?2 (any tenant): a scan.
SELECT id FROM events WHERE sequence = ?1 AND event_id = ?2
