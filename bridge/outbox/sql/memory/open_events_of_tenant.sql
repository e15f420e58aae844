-- The memory check (bridge/outbox/memory.hpp): tenant ?1's open events in sequence order, with what
-- its claim window must agree on.
SELECT id, sequence, state, next_attempt_at FROM events WHERE settled_at IS NULL AND tenant = ?1
ORDER BY sequence
