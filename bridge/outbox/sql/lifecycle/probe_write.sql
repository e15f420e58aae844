-- A small write that changes nothing in the end: whether the disk takes writes again.
UPDATE outbox_identity SET created_at = created_at + 1;
UPDATE outbox_identity SET created_at = created_at - 1
