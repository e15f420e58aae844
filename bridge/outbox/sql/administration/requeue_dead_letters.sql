-- As requeue_dead_letter, for every dead letter matching the filter of dead_letters (?1, ?2, ?3,
-- ?5).
UPDATE events SET state = 'pending', attempts = 0, next_attempt_at = ?10, settled_at = NULL, dead_reason = NULL,
  errors = json_insert(errors, '$[#]',
    json_object('at', ?11, 'requeued_after_attempts', attempts, 'dead_reason', dead_reason))
WHERE state = 'dead' AND (?1 IS NULL OR service = ?1) AND (?2 IS NULL OR transport_id = ?2)
  AND (?3 IS NULL OR instr(dead_reason, ?3) > 0)
  AND (?5 IS NULL OR tenant = (SELECT id FROM tenants WHERE name = ?5))
