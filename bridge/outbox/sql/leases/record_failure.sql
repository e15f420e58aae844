-- The one way a failed attempt is written (a refused push, an expired lease): ?1 state (retryable or
-- dead), ?2 attempts, ?3 next attempt, ?4 settled at and ?5 reason (dead only, else NULL), and an
-- entry appended to the history: ?6 when (ISO 8601), ?7 attempt, ?8 HTTP status (or NULL), ?9 message.
-- ?10 the row.
UPDATE events SET state = ?1, attempts = ?2, next_attempt_at = ?3, settled_at = ?4, dead_reason = ?5,
  errors = json_insert(errors, '$[#]',
    json_object('at', ?6, 'attempt', ?7, 'http_status', ?8, 'message', ?9))
WHERE id = ?10
