-- The leases rescued by the same ?1.
DELETE FROM leases WHERE expires_at <= ?1
