// Faults on demand, deterministic for a given seed: the same requests in the same order meet the
// same faults. Grammar (README.md, "Faults"):
//
//   SPEC     := RULE { ';' RULE }
//   RULE     := ENDPOINT ':' ACTION [ '@' PROBABILITY ]        PROBABILITY: 0.2 or 20% (default 1)
//   ENDPOINT := token | push.export | push.import | push.status_change | push.* | ato.feed | *
//   ACTION   := status=CODE               answer CODE (an OData error body)
//             | throttle=CODE[/AFTER]     CODE 429 or 503 with Retry-After: AFTER seconds (default 1),
//                                         or AFTER 'date' for an HTTP-date 1 s ahead
//             | latency=D | latency=D..D  delay the answer by D, or uniformly between the two
//             | reset                     a TCP reset instead of an answer
//             | no-answer                 close the connection after reading the request
//             | drip=D                    send the answer 16 bytes at a time, D apart
//             | revoke-every=D            (token) every D, all tokens issued so far stop working
//             | expire-after=D            (token) tokens stop working D after issue
//             | upgrade-window=D..D       (ato.feed) between these offsets from start, 503 with SAP's
//                                         "Development function currently not available due to
//                                         upgrade preparation"
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/net/http.hpp"

namespace ato::sim {

using std::chrono::milliseconds;

class FaultSpecError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class FaultKind {
  Status,
  Throttle,
  Latency,
  Reset,
  NoAnswer,
  Drip,
  RevokeEvery,
  ExpireAfter,
  UpgradeWindow
};

struct FaultRule {
  std::string endpoint;  // as written: exact, a prefix with '*' at the end, or '*'
  FaultKind kind = FaultKind::Status;
  int status = 503;
  int retry_after_seconds = 1;
  bool retry_after_date = false;
  milliseconds min{0}, max{0};  // latency range; drip interval; period; window
  double probability = 1.0;
  std::string text;  // the rule as written, for /sim/faults
  bool matches(std::string_view endpoint_name) const;
};

std::vector<FaultRule> parse_fault_spec(std::string_view spec);  // throws FaultSpecError

// What the faults decided for one request.
struct FaultDecision {
  std::optional<int> status;  // answer this instead of the real answer
  std::optional<std::string> retry_after;
  milliseconds delay{0};
  net::Delivery delivery = net::Delivery::Normal;
  milliseconds drip{0};
  int injected = 0;  // how many rules fired
  // Applies delay, delivery and drip to a response.
  void shape(net::HttpResponse& response) const;
};

class FaultInjector {
 public:
  explicit FaultInjector(std::uint64_t seed);
  void set_rules(std::vector<FaultRule> rules);  // thread-safe
  std::vector<FaultRule> rules() const;
  // Draws for every rule matching `endpoint` (in rule order, each rule with its own generator).
  FaultDecision decide(std::string_view endpoint);
  // Periodic rules of an endpoint (revoke-every, expire-after, upgrade-window); first match.
  std::optional<FaultRule> periodic(std::string_view endpoint, FaultKind kind) const;
  bool has_periodic() const { return has_periodic_; }  // lock-free: checked on every request
  std::map<std::string, std::int64_t> injected_by_endpoint() const;
  std::int64_t injected_total() const;
  void count(std::string_view endpoint, int n);

 private:
  mutable std::mutex mutex_;
  std::uint64_t seed_;
  std::vector<FaultRule> rules_;
  std::vector<std::mt19937_64> generators_;  // one per rule
  std::map<std::string, std::int64_t> injected_;
  std::atomic<bool> has_periodic_{false};
  std::atomic<bool> has_rules_{false};  // decide() answers "no fault" without the lock
};

}  // namespace ato::sim
