-- The events the claim window chose (?1: a JSON array of row ids; bridge/outbox/claim_window.hpp
-- decides per-transport order, due time, watermark and paused systems) that are still in the state
-- %STATE% it saw (pending or retryable), each with its payload. A row changed since the window saw it
-- is left out: the outbox then loads the window again.
-- The state is written into the statement, not bound: the planner compares a bound state with the
-- partial index events_dead_by_event_id (state = 'dead'), and SQLite then prepares the statement
-- again after every new binding. That re-prepare was ~5% of the outbox thread's time while a backlog
-- drained.
SELECT e.id, e.event_id, e.sequence, e.transport_id, e.source_system, e.attempts, e.enqueued_at,
  e.next_attempt_at, p.payload
FROM events e JOIN payloads p ON p.id = e.id
WHERE e.id IN (SELECT value FROM json_each(?1)) AND e.state = '%STATE%'
