-- Invariant: no event lies above its tenant's cursor of its service.
SELECT count(*) FROM events e LEFT JOIN cursors c ON c.tenant = e.tenant AND c.service = e.service
WHERE c.sequence IS NULL OR e.sequence > c.sequence
