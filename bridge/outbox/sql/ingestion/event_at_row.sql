-- The row an eventId candidate names: its eventId (to confirm), tenant, sequence and payload.
SELECT e.event_id, e.tenant, e.sequence, p.payload FROM events e LEFT JOIN payloads p ON p.id = e.id
WHERE e.id = ?1
