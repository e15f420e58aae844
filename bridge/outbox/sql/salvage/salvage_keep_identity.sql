-- The new file keeps the damaged one's identity (?1), so the bridge takes it as the same outbox.
UPDATE outbox_identity SET id = ?1
