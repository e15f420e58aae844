-- The lease goes with its last settled event.
DELETE FROM leases WHERE token = ?1
