// What one push's answer means for each event in the package: the table in README.md, "How Cloud ALM's
// answers are handled".
// A pure function of the answer, so every rule is unit-tested without a network.
#pragma once

#include <chrono>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "bridge/outbox/types.hpp"

namespace ato::bridge {

struct PushVerdict {
  enum class Action {
    Settle,        // apply `settlements` (one per event)
    RefreshToken,  // 401: new token, send again without spending an attempt
    Pause,         // 403: a configuration problem; release the events and stop pushing
    Split,         // 413: send the package in halves
  };
  Action action = Action::Settle;
  std::vector<Settlement> settlements;
  std::string reason;                              // for Pause, and the log line of a failed push
  bool cloud_alm_trouble = false;                  // counts against the circuit breaker (5xx, 429, no answer)
  bool answered = true;                            // Cloud ALM answered (the breaker's probe succeeded)
  int accepted = 0, duplicates = 0, rejected = 0;  // per-event results of a 2xx
  // Source systems Cloud ALM's Landscape Management does not know (MSG_SLIS_NOT_FOUND_IN_LMS): their
  // events are released, not dead-lettered; pushing pauses for these systems until registered.
  std::set<std::string> unregistered_systems;
  std::int64_t unknown_fields = 0;  // in a 2xx answer: ignored, counted (PushResponse::unknown_fields)
};

// An HTTP answer. `retry_after` and `location` are the raw header values (may be empty). A redirect
// is never followed (the bearer token would go with it): it pauses pushing as a configuration problem.
PushVerdict classify_answer(int status, std::string_view body, std::string_view retry_after,
                            const std::vector<ClaimedEvent>& events, EpochMillis now,
                            std::string_view location = {});

// No HTTP answer: timeout, refused, reset, TLS failure. Every event is retried.
PushVerdict classify_no_answer(std::string_view problem, const std::vector<ClaimedEvent>& events);

// A short, single-line rendering of a response body for messages and dead letters.
std::string body_excerpt(std::string_view body, std::size_t limit = 2048);

}  // namespace ato::bridge
