-- ato-bridge outbox, migration 008: the outbox knows which outbox it is. A random identity is kept
-- here and in `<outbox>.id` beside the file. A bridge that finds the file missing, empty or holding
-- another identity while `<outbox>.id` (or a run file) says an outbox lived there refuses to start:
-- a deleted, truncated or swapped outbox must never look like a fresh start, which would begin at
-- the feed's head and lose everything the old file held (bridge/outbox/lifecycle.cpp, `run --new-outbox`).
CREATE TABLE outbox_identity (
  id         TEXT    NOT NULL CHECK (length(id) = 32),
  created_at INTEGER NOT NULL
);
INSERT INTO outbox_identity (id, created_at)
  VALUES (lower(hex(randomblob(16))), CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER));
