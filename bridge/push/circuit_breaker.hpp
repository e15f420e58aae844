// A circuit breaker over all pushes: after a run of failures that are Cloud ALM's (5xx, 429, no
// answer) it opens, so a tenant that is down is not hammered by every worker and every retry; once
// the pause has passed, one probe at a time goes out until Cloud ALM answers again. Pure state,
// driven by the caller's clock, so it is unit-tested without waiting.
#pragma once

#include <chrono>
#include <string_view>

#include "core/time.hpp"

namespace ato::bridge {

class CircuitBreaker {
 public:
  enum class State { Closed, Open, HalfOpen };
  struct Options {
    int failures_to_open = 5;  // consecutive
    std::chrono::milliseconds first_pause{std::chrono::seconds(2)};
    std::chrono::milliseconds max_pause{std::chrono::minutes(1)};
  };

  CircuitBreaker() = default;
  explicit CircuitBreaker(Options options) : options_(options) {}

  // May a push go out at `now`? When half-open, only one (the probe) is allowed until it reports.
  bool allow(EpochMillis now);
  // Whether allow(now) would say yes, without taking the probe.
  bool would_allow(EpochMillis now) const {
    return state_ == State::Closed || (state_ == State::Open && now >= reopens_at_) ||
           (state_ == State::HalfOpen && !probe_out_);
  }
  void on_success();
  void on_failure(EpochMillis now);

  State state() const { return state_; }
  // When an open breaker lets the next probe out.
  EpochMillis reopens_at() const { return reopens_at_; }
  int consecutive_failures() const { return failures_; }
  int times_opened() const { return times_opened_; }

 private:
  void open(EpochMillis now);

  Options options_;
  State state_ = State::Closed;
  int failures_ = 0;
  int times_opened_ = 0;
  bool probe_out_ = false;
  std::chrono::milliseconds pause_{0};
  EpochMillis reopens_at_ = 0;
};

std::string_view to_string(CircuitBreaker::State state);

}  // namespace ato::bridge
