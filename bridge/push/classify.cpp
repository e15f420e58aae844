#include "bridge/push/classify.hpp"

#include <fmt/format.h>

#include <unordered_map>

#include "core/lms.hpp"
#include "core/wire.hpp"

namespace ato::bridge {

namespace {

std::vector<Settlement> all_retry(const std::vector<ClaimedEvent>& events, int status,
                                  const std::string& message,
                                  std::optional<std::chrono::milliseconds> retry_after = {}) {
  std::vector<Settlement> out;
  out.reserve(events.size());
  for (const auto& e : events) out.push_back(Settlement::retry(e.id, status, message, retry_after));
  return out;
}

std::vector<Settlement> all_dead(const std::vector<ClaimedEvent>& events, int status,
                                 const std::string& message) {
  std::vector<Settlement> out;
  out.reserve(events.size());
  for (const auto& e : events) out.push_back(Settlement::dead(e.id, status, message));
  return out;
}

std::vector<Settlement> all_released(const std::vector<ClaimedEvent>& events) {
  std::vector<Settlement> out;
  out.reserve(events.size());
  for (const auto& e : events) out.push_back(Settlement::release(e.id));
  return out;
}

// The OData error's message when the body is one, else an excerpt of the body.
std::string error_text(std::string_view body) {
  try {
    const ODataError error = parse_odata_error(body);
    return error.code + ": " + error.message;
  } catch (const std::exception&) {
    return body_excerpt(body, 300);
  }
}

PushVerdict settle_per_event(int status, std::string_view body, const std::vector<ClaimedEvent>& events) {
  PushVerdict verdict;
  PushResponse response;
  try {
    response = parse_push_response(body);
  } catch (const std::exception& e) {
    // Cloud ALM took the package but its answer is unreadable: try again, it deduplicates.
    verdict.settlements =
        all_retry(events, status, fmt::format("HTTP {} with an unreadable body: {}", status, e.what()));
    verdict.reason = verdict.settlements.front().message;
    return verdict;
  }
  verdict.unknown_fields = response.unknown_fields;
  std::unordered_map<std::string_view, const EventResult*> by_id;
  for (const auto& r : response.results) by_id.emplace(r.event_id, &r);
  verdict.settlements.reserve(events.size());
  for (const auto& e : events) {
    auto it = by_id.find(e.event_id);
    if (it == by_id.end()) {
      verdict.settlements.push_back(
          Settlement::retry(e.id, status, "Cloud ALM's answer has no result for this event"));
      continue;
    }
    const EventResult& r = *it->second;
    if (r.outcome == EventOutcome::Rejected && r.code == kNotInLmsCode) {
      verdict.unregistered_systems.insert(e.source_system);  // a configuration problem, not the event's
      verdict.settlements.push_back(Settlement::release(e.id));
    } else if (r.outcome == EventOutcome::Rejected) {
      ++verdict.rejected;
      verdict.settlements.push_back(Settlement::dead(
          e.id, status,
          fmt::format("rejected by Cloud ALM: {}: {}", r.code.value_or("?"), r.message.value_or(""))));
    } else {
      ++(r.outcome == EventOutcome::Duplicate ? verdict.duplicates : verdict.accepted);
      verdict.settlements.push_back(Settlement::done(e.id));
    }
  }
  // The log line of a package names what went wrong: the first failure, and how many more.
  int failed = 0;
  for (const auto& s : verdict.settlements)
    if (s.kind == Settlement::Kind::Retry || s.kind == Settlement::Kind::Dead) {
      if (failed++ == 0) verdict.reason = s.message;
    }
  if (failed > 1) verdict.reason += fmt::format(" (and {} more)", failed - 1);
  return verdict;
}

}  // namespace

std::string body_excerpt(std::string_view body, std::size_t limit) {
  std::string out;
  for (char c : body.substr(0, limit)) out += (c == '\n' || c == '\r' || c == '\t') ? ' ' : c;
  if (body.size() > limit) out += fmt::format("... ({} bytes)", body.size());
  return out;
}

PushVerdict classify_answer(int status, std::string_view body, std::string_view retry_after,
                            const std::vector<ClaimedEvent>& events, EpochMillis now,
                            std::string_view location) {
  if (status >= 200 && status < 300) return settle_per_event(status, body, events);
  PushVerdict verdict;
  const std::string text = fmt::format("HTTP {}: {}", status, error_text(body));
  verdict.reason = text;
  if (status >= 300 && status < 400) {
    verdict.action = PushVerdict::Action::Pause;
    verdict.reason = fmt::format(
        "Cloud ALM answered a push with HTTP {} (a redirect to '{}'); redirects are not followed, the token "
        "stays with the configured host: check the service key's endpoints.Api (or cloud_alm.host) and the "
        "service paths; the bridge probes again on every retry run",
        status, location.empty() ? std::string("no Location header") : body_excerpt(location, 300));
    verdict.settlements = all_released(events);
    return verdict;
  }
  if (status == 401) {
    verdict.action = PushVerdict::Action::RefreshToken;
    verdict.settlements = all_released(events);
    return verdict;
  }
  if (status == 403) {
    verdict.action = PushVerdict::Action::Pause;
    verdict.reason = fmt::format(
        "Cloud ALM refuses the pushes with HTTP 403 ({}): the service key's client "
        "lacks a needed scope; assign it in SAP BTP and the bridge resumes by itself",
        error_text(body));
    verdict.settlements = all_released(events);
    return verdict;
  }
  if (status == 413) {
    if (events.size() > 1) {
      verdict.action = PushVerdict::Action::Split;
      verdict.settlements = all_released(events);
      return verdict;
    }
    verdict.settlements =
        all_dead(events, status, text + " (a single event is larger than Cloud ALM accepts)");
    return verdict;
  }
  const bool retryable = status == 408 || status == 429 || (status >= 500 && status != 501);
  if (retryable) {
    verdict.cloud_alm_trouble = status != 408;
    verdict.settlements = all_retry(events, status, text, parse_retry_after(retry_after, now));
    return verdict;
  }
  // Other 4xx, 501, and anything unexpected: the package itself is wrong; keep the answer.
  verdict.settlements = all_dead(events, status, fmt::format("HTTP {}: {}", status, body_excerpt(body)));
  return verdict;
}

PushVerdict classify_no_answer(std::string_view problem, const std::vector<ClaimedEvent>& events) {
  PushVerdict verdict;
  verdict.reason = std::string(problem);
  verdict.cloud_alm_trouble = true;
  verdict.answered = false;
  verdict.settlements = all_retry(events, 0, std::string(problem));
  return verdict;
}

}  // namespace ato::bridge
