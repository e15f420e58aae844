#include "bridge/outbox/retry_policy.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace ato::bridge {

milliseconds backoff(const RetryPolicy& policy, int attempts) {
  const double exponent = std::max(0, attempts - 1);
  const double raw = static_cast<double>(policy.base.count()) * std::pow(policy.multiplier, exponent);
  const double capped =
      std::min(raw, static_cast<double>(policy.cap.count()));  // also catches overflow to inf
  return milliseconds(static_cast<std::int64_t>(capped));
}

RetryDecision decide_retry(const RetryPolicy& policy, int attempts, EpochMillis enqueued_at, EpochMillis now,
                           std::optional<milliseconds> retry_after, double jitter) {
  RetryDecision decision;
  if (attempts >= policy.max_attempts) {
    decision.give_up = true;
    decision.reason = fmt::format("gave up after {} attempts (retry_policy.max_attempts)", attempts);
    return decision;
  }
  if (now - enqueued_at >= policy.max_age.count()) {
    decision.give_up = true;
    decision.reason =
        fmt::format("gave up: undelivered for {} (retry_policy.max_age is {})",
                    format_duration(milliseconds(now - enqueued_at)), format_duration(policy.max_age));
    return decision;
  }
  const auto full = backoff(policy, attempts);
  jitter = std::clamp(jitter, 0.0, 1.0);
  auto delay = milliseconds(full.count() / 2 +
                            static_cast<std::int64_t>(jitter * static_cast<double>(full.count() / 2)));
  if (retry_after) delay = std::max(delay, *retry_after);
  delay = std::min(delay, policy.cap);
  decision.next_attempt_at = now + delay.count();
  return decision;
}

}  // namespace ato::bridge
