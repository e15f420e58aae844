#include "bridge/push/circuit_breaker.hpp"

#include <algorithm>

namespace ato::bridge {

bool CircuitBreaker::allow(EpochMillis now) {
  switch (state_) {
    case State::Closed:
      return true;
    case State::Open:
      if (now < reopens_at_) return false;
      state_ = State::HalfOpen;
      probe_out_ = true;
      return true;
    case State::HalfOpen:
      if (probe_out_) return false;
      probe_out_ = true;
      return true;
  }
  return false;
}

void CircuitBreaker::on_success() {
  state_ = State::Closed;
  failures_ = 0;
  probe_out_ = false;
  pause_ = std::chrono::milliseconds(0);
}

void CircuitBreaker::on_failure(EpochMillis now) {
  ++failures_;
  if (state_ == State::HalfOpen || (state_ == State::Closed && failures_ >= options_.failures_to_open))
    open(now);
}

void CircuitBreaker::open(EpochMillis now) {
  pause_ = pause_.count() == 0 ? options_.first_pause : std::min(pause_ * 2, options_.max_pause);
  state_ = State::Open;
  probe_out_ = false;
  reopens_at_ = now + pause_.count();
  ++times_opened_;
}

std::string_view to_string(CircuitBreaker::State state) {
  switch (state) {
    case CircuitBreaker::State::Closed:
      return "closed";
    case CircuitBreaker::State::Open:
      return "open";
    case CircuitBreaker::State::HalfOpen:
      return "half_open";
  }
  return "?";
}

}  // namespace ato::bridge
