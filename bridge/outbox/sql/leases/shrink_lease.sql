-- Settling removes the settled events from their lease (?2: those still listed).
UPDATE leases SET event_ids = ?2 WHERE token = ?1
