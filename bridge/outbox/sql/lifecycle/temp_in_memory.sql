-- Statement journals (a settle's multi-row UPDATE with triggers needs one) and sort scratch in
-- memory: spilled to temporary files, each spill cost an open, access, unlink and close (measured: 7%
-- of the outbox thread while draining a backlog). They are small and short-lived.
PRAGMA temp_store = MEMORY
