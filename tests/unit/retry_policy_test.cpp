#include <doctest/doctest.h>

#include "bridge/outbox/retry_policy.hpp"

using namespace ato::bridge;
using namespace std::chrono_literals;
using std::chrono::milliseconds;

namespace {
constexpr ato::EpochMillis kNow = 1'800'000'000'000;
milliseconds delay_of(const RetryDecision& d) {
  return milliseconds(d.next_attempt_at - kNow);
}
}  // namespace

TEST_CASE("backoff doubles from the base up to the cap (defaults: 1 min, x2, 1 h)") {
  const RetryPolicy p;
  CHECK(backoff(p, 1) == 1min);
  CHECK(backoff(p, 2) == 2min);
  CHECK(backoff(p, 3) == 4min);
  CHECK(backoff(p, 6) == 32min);
  CHECK(backoff(p, 7) == 60min);     // 64 min, capped
  CHECK(backoff(p, 2000) == 60min);  // no overflow
}

TEST_CASE("jitter spreads a retry over [backoff/2, backoff)") {
  const RetryPolicy p;
  CHECK(delay_of(decide_retry(p, 3, kNow, kNow, std::nullopt, 0.0)) == 2min);
  CHECK(delay_of(decide_retry(p, 3, kNow, kNow, std::nullopt, 0.5)) == 3min);
  const auto almost = delay_of(decide_retry(p, 3, kNow, kNow, std::nullopt, 0.999));
  CHECK(almost > 3min);
  CHECK(almost < 4min);
}

TEST_CASE("Retry-After is honoured as max(backoff, header), clamped to the cap") {
  const RetryPolicy p;
  CHECK(delay_of(decide_retry(p, 1, kNow, kNow, 10min, 0.0)) == 10min);  // longer than the backoff: wins
  CHECK(delay_of(decide_retry(p, 3, kNow, kNow, 5s, 0.0)) == 2min);      // shorter: the backoff wins
  CHECK(delay_of(decide_retry(p, 1, kNow, kNow, 3h, 0.0)) == 60min);     // clamped to the cap
}

TEST_CASE("an event is given up after max_attempts or max_age") {
  RetryPolicy p;
  CHECK_FALSE(decide_retry(p, 49, kNow, kNow, std::nullopt, 0.5).give_up);
  const auto by_attempts = decide_retry(p, 50, kNow, kNow, std::nullopt, 0.5);
  CHECK(by_attempts.give_up);
  CHECK(by_attempts.reason == "gave up after 50 attempts (retry_policy.max_attempts)");
  const auto week = std::chrono::duration_cast<milliseconds>(std::chrono::hours(24 * 7)).count();
  CHECK_FALSE(decide_retry(p, 3, kNow - week + 1, kNow, std::nullopt, 0.5).give_up);
  const auto by_age = decide_retry(p, 3, kNow - week, kNow, std::nullopt, 0.5);
  CHECK(by_age.give_up);
  CHECK(by_age.reason == "gave up: undelivered for 7d (retry_policy.max_age is 7d)");
}
