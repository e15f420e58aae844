-- Back to pending with attempts reset (?10 now, ?11 now in ISO 8601); the history records the
-- requeue so nothing is forgotten. ?1 the eventId.
UPDATE events SET state = 'pending', attempts = 0, next_attempt_at = ?10, settled_at = NULL, dead_reason = NULL,
  errors = json_insert(errors, '$[#]',
    json_object('at', ?11, 'requeued_after_attempts', attempts, 'dead_reason', dead_reason))
WHERE event_id = ?1 AND state = 'dead'
