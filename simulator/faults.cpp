#include "simulator/faults.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <ctime>

#include "core/time.hpp"

namespace ato::sim {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\n')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n')) s.remove_suffix(1);
  return s;
}

[[noreturn]] void bad(std::string_view rule, const std::string& why) {
  throw FaultSpecError(fmt::format("fault rule '{}': {}", rule, why));
}

milliseconds duration_or_fail(std::string_view rule, std::string_view text) {
  const auto d = parse_duration(text);
  if (!d) bad(rule, fmt::format("'{}' is not a duration (like 200ms, 5s, 1m)", text));
  return *d;
}

std::pair<milliseconds, milliseconds> range_or_fail(std::string_view rule, std::string_view text) {
  const auto dots = text.find("..");
  if (dots == std::string_view::npos) {
    const auto d = duration_or_fail(rule, text);
    return {d, d};
  }
  const auto lo = duration_or_fail(rule, text.substr(0, dots)),
             hi = duration_or_fail(rule, text.substr(dots + 2));
  if (hi < lo) bad(rule, "the range's end is before its start");
  return {lo, hi};
}

int int_or_fail(std::string_view rule, std::string_view text, int min, int max, const char* what) {
  int value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || value < min || value > max)
    bad(rule, fmt::format("{} must be a number from {} to {}, got '{}'", what, min, max, text));
  return value;
}

double probability_or_fail(std::string_view rule, std::string_view text) {
  const bool percent = !text.empty() && text.back() == '%';
  if (percent) text.remove_suffix(1);
  double value = -1;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size()) bad(rule, "probability must be like 0.2 or 20%");
  if (percent) value /= 100;
  // !(0 <= value <= 1) rather than value < 0 || value > 1: NaN compares false either way.
  if (!(value >= 0 && value <= 1)) bad(rule, "probability must be between 0 and 1 (0% and 100%)");
  return value;
}

bool known_endpoint(std::string_view e) {
  return e == "*" || e == "token" || e == "push.*" || e == "push.export" || e == "push.import" ||
         e == "push.status_change" || e == "ato.feed";
}

FaultRule parse_rule(std::string_view text) {
  FaultRule rule;
  rule.text = std::string(text);
  const auto colon = text.find(':');
  if (colon == std::string_view::npos) bad(text, "expected ENDPOINT:ACTION, e.g. push.export:status=503@20%");
  rule.endpoint = std::string(trim(text.substr(0, colon)));
  if (!known_endpoint(rule.endpoint))
    bad(text, "unknown endpoint '" + rule.endpoint +
                  "' (token, push.export, push.import, push.status_change, push.*, ato.feed, *)");
  std::string_view action = trim(text.substr(colon + 1));
  if (const auto at = action.rfind('@'); at != std::string_view::npos) {
    rule.probability = probability_or_fail(text, trim(action.substr(at + 1)));
    action = trim(action.substr(0, at));
  }
  const auto eq = action.find('=');
  const std::string_view name = action.substr(0, eq);
  const std::string_view value = eq == std::string_view::npos ? std::string_view{} : action.substr(eq + 1);
  auto need_value = [&] {
    if (value.empty()) bad(text, fmt::format("'{}' needs a value ({}=...)", name, name));
  };
  if (name == "status") {
    need_value();
    rule.kind = FaultKind::Status;
    rule.status = int_or_fail(text, value, 400, 599, "status");
  } else if (name == "throttle") {
    need_value();
    rule.kind = FaultKind::Throttle;
    const auto slash = value.find('/');
    rule.status = int_or_fail(text, value.substr(0, slash), 429, 503, "throttle status");
    if (rule.status != 429 && rule.status != 503) bad(text, "throttle status must be 429 or 503");
    if (slash != std::string_view::npos) {
      const auto after = value.substr(slash + 1);
      if (after == "date")
        rule.retry_after_date = true;
      else
        rule.retry_after_seconds = int_or_fail(text, after, 0, 86400, "Retry-After seconds");
    }
  } else if (name == "latency") {
    need_value();
    rule.kind = FaultKind::Latency;
    std::tie(rule.min, rule.max) = range_or_fail(text, value);
  } else if (name == "reset" || name == "no-answer") {
    if (!value.empty()) bad(text, fmt::format("'{}' takes no value", name));
    rule.kind = name == "reset" ? FaultKind::Reset : FaultKind::NoAnswer;
  } else if (name == "drip") {
    need_value();
    rule.kind = FaultKind::Drip;
    rule.min = rule.max = duration_or_fail(text, value);
  } else if (name == "revoke-every" || name == "expire-after") {
    need_value();
    if (rule.endpoint != "token") bad(text, fmt::format("'{}' applies to the token endpoint only", name));
    rule.kind = name == "revoke-every" ? FaultKind::RevokeEvery : FaultKind::ExpireAfter;
    rule.min = rule.max = duration_or_fail(text, value);
    if (rule.min.count() <= 0) bad(text, "the duration must be positive");
  } else if (name == "upgrade-window") {
    need_value();
    if (rule.endpoint != "ato.feed") bad(text, "'upgrade-window' applies to ato.feed only");
    rule.kind = FaultKind::UpgradeWindow;
    std::tie(rule.min, rule.max) = range_or_fail(text, value);
  } else {
    bad(text,
        fmt::format("unknown action '{}' (status, throttle, latency, reset, no-answer, drip, revoke-every, "
                    "expire-after, upgrade-window)",
                    name));
  }
  return rule;
}

std::string http_date_in(std::chrono::seconds ahead) {
  return format_http_date(now_epoch_millis() + std::chrono::milliseconds(ahead).count());
}

}  // namespace

bool FaultRule::matches(std::string_view name) const {
  if (endpoint == "*") return true;
  if (endpoint.back() == '*')
    return name.substr(0, endpoint.size() - 1) == std::string_view(endpoint).substr(0, endpoint.size() - 1);
  return name == endpoint;
}

std::vector<FaultRule> parse_fault_spec(std::string_view spec) {
  std::vector<FaultRule> rules;
  while (!spec.empty()) {
    const auto semi = spec.find(';');
    const auto text = trim(spec.substr(0, semi));
    if (!text.empty()) rules.push_back(parse_rule(text));
    spec = semi == std::string_view::npos ? std::string_view{} : spec.substr(semi + 1);
  }
  return rules;
}

void FaultDecision::shape(net::HttpResponse& response) const {
  response.delay += delay;
  if (delivery != net::Delivery::Normal) response.delivery = delivery;
  if (drip.count() > 0) response.drip_interval = drip;
}

FaultInjector::FaultInjector(std::uint64_t seed) : seed_(seed) {}

void FaultInjector::set_rules(std::vector<FaultRule> rules) {
  std::lock_guard lock(mutex_);
  rules_ = std::move(rules);
  generators_.clear();
  for (std::size_t i = 0; i < rules_.size(); ++i) generators_.emplace_back(seed_ * 1'000'003 + i);
  has_rules_ = !rules_.empty();
  has_periodic_ = std::any_of(rules_.begin(), rules_.end(), [](const FaultRule& r) {
    return r.kind == FaultKind::RevokeEvery || r.kind == FaultKind::ExpireAfter ||
           r.kind == FaultKind::UpgradeWindow;
  });
}

std::vector<FaultRule> FaultInjector::rules() const {
  std::lock_guard lock(mutex_);
  return rules_;
}

FaultDecision FaultInjector::decide(std::string_view endpoint) {
  FaultDecision decision;
  if (!has_rules_) return decision;  // the common case under load: no lock taken
  std::lock_guard lock(mutex_);
  for (std::size_t i = 0; i < rules_.size(); ++i) {
    const auto& rule = rules_[i];
    if (!rule.matches(endpoint)) continue;
    switch (rule.kind) {
      case FaultKind::RevokeEvery:
      case FaultKind::ExpireAfter:
      case FaultKind::UpgradeWindow:
        continue;  // periodic, not per request
      default:
        break;
    }
    auto& gen = generators_[i];
    const double roll = std::uniform_real_distribution<double>(0.0, 1.0)(gen);
    if (roll >= rule.probability) continue;
    ++decision.injected;
    switch (rule.kind) {
      case FaultKind::Status:
        if (!decision.status) decision.status = rule.status;
        break;
      case FaultKind::Throttle:
        if (!decision.status) {
          decision.status = rule.status;
          decision.retry_after = rule.retry_after_date ? http_date_in(std::chrono::seconds(1))
                                                       : std::to_string(rule.retry_after_seconds);
        }
        break;
      case FaultKind::Latency: {
        const auto span = (rule.max - rule.min).count();
        decision.delay +=
            rule.min + milliseconds(span > 0 ? static_cast<std::int64_t>(gen() % (span + 1)) : 0);
        break;
      }
      case FaultKind::Reset:
        decision.delivery = net::Delivery::Reset;
        break;
      case FaultKind::NoAnswer:
        if (decision.delivery == net::Delivery::Normal) decision.delivery = net::Delivery::NoAnswer;
        break;
      case FaultKind::Drip:
        decision.drip = rule.min;
        break;
      default:
        break;
    }
  }
  if (decision.injected) injected_[std::string(endpoint)] += decision.injected;
  return decision;
}

std::optional<FaultRule> FaultInjector::periodic(std::string_view endpoint, FaultKind kind) const {
  std::lock_guard lock(mutex_);
  for (const auto& rule : rules_)
    if (rule.kind == kind && rule.matches(endpoint)) return rule;
  return std::nullopt;
}

std::map<std::string, std::int64_t> FaultInjector::injected_by_endpoint() const {
  std::lock_guard lock(mutex_);
  return injected_;
}

std::int64_t FaultInjector::injected_total() const {
  std::lock_guard lock(mutex_);
  std::int64_t total = 0;
  for (const auto& [name, n] : injected_) total += n;
  return total;
}

void FaultInjector::count(std::string_view endpoint, int n) {
  std::lock_guard lock(mutex_);
  injected_[std::string(endpoint)] += n;
}

}  // namespace ato::sim
