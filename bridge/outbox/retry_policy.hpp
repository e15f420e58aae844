// When to try a failed delivery again, or when to give up: a pure function of the policy, the
// attempt count, the event's age, the server's Retry-After and a jitter value, so every number is
// unit-testable with a fake clock.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "core/time.hpp"

namespace ato::bridge {

using std::chrono::milliseconds;

struct RetryPolicy {
  milliseconds base = std::chrono::minutes(1);
  double multiplier = 2.0;
  milliseconds cap = std::chrono::hours(1);
  int max_attempts = 50;
  milliseconds max_age = std::chrono::hours(24 * 7);
};

struct RetryDecision {
  bool give_up = false;
  EpochMillis next_attempt_at = 0;  // when !give_up
  std::string reason;               // when give_up: why (for the dead letter)
};

// Backoff before attempt `attempts + 1` after `attempts` failed ones (attempts >= 1):
// base * multiplier^(attempts-1), at most cap.
milliseconds backoff(const RetryPolicy& policy, int attempts);

// `attempts` counts the failure just seen. Jitter spreads retries over [backoff/2, backoff) so a
// crowd of events failed together does not return together; `jitter` in [0, 1) picks the point.
// Retry-After is honoured as max(jittered backoff, retry_after), clamped to the cap. The event is
// given up once it has failed max_attempts times or is older than max_age.
RetryDecision decide_retry(const RetryPolicy& policy, int attempts, EpochMillis enqueued_at, EpochMillis now,
                           std::optional<milliseconds> retry_after, double jitter);

}  // namespace ato::bridge
