// Sends one claimed package to Cloud ALM and settles every event in it by the answer: the token
// from the cache (401: a fresh one and the same package once more, no attempt spent), per-event
// results on 2xx, 413 split in halves, 403 a pause (events released), everything else as
// classify.hpp says. The caller owns scheduling, the circuit breaker and the pause.
#pragma once

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <functional>
#include <set>
#include <string>

#include "bridge/config.hpp"
#include "bridge/outbox/types.hpp"
#include "bridge/push/classify.hpp"
#include "bridge/push/package.hpp"
#include "bridge/push/permits.hpp"
#include "bridge/push/token_cache.hpp"
#include "core/net/http_client.hpp"

namespace ato::bridge {

struct PushOutcome {
  SettleResult settled;
  std::int64_t accepted = 0, duplicates = 0, rejected = 0;
  int requests = 0;
  int last_status = 0;  // 0: no HTTP answer
  bool paused = false;  // 403 or refused client credentials: stop pushing
  std::string problem;  // the pause reason, or what went wrong with the last request
  bool cloud_alm_trouble = false;
  bool answered = false;      // Cloud ALM answered at least once (the breaker's probe got through)
  std::string token_problem;  // no token could be had (the package went back untouched)
  std::vector<std::chrono::microseconds> request_latencies;
  std::vector<EpochMillis> done_enqueued_at;   // for collection-to-acceptance latency
  std::set<std::string> unregistered_systems;  // MSG_SLIS_NOT_FOUND_IN_LMS: pause pushing for these
  std::int64_t answer_unknown_fields =
      0;  // fields Cloud ALM's answers carried that the contract does not name
};

// Where each verdict goes: the outbox for the bridge (the engine settles there,
// PushWorkers::settle_in_outbox in bridge/runtime/engine), counters in memory for the load test. Awaited: the
// bridge's outbox writes on its own thread. The pusher itself knows no outbox.
using SettleFn = std::function<boost::asio::awaitable<void>(
    const std::vector<ClaimedEvent>& events, const PushVerdict& verdict, PushOutcome& outcome)>;

class Pusher {
 public:
  // With `permits`, a package is on the wire only while it holds one (the bridge's push workers
  // outnumber its connections); without, every call sends at once.
  // With `stopping`, no package goes on the wire once it says true: what was not sent yet (waiting
  // for a permit, the second half of a 413 split) goes back to the outbox without spending an attempt.
  Pusher(net::HttpClient& client, TokenCache& tokens, const BridgeConfig& config,
         std::function<EpochMillis()> clock, Permits* permits = nullptr, std::function<bool()> stopping = {});

  // Sends `events` as one package (or several, after a 413) and hands every verdict to `settle`.
  // To the path of `tenant`'s arrangement (the first tenant's when the configuration names no such one).
  boost::asio::awaitable<PushOutcome> send(std::string tenant, std::vector<ClaimedEvent> events,
                                           SettleFn settle);

 private:
  boost::asio::awaitable<void> push_events(const std::string& tenant, std::vector<ClaimedEvent> events,
                                           const SettleFn& settle, PushOutcome& outcome);

  net::HttpClient& client_;
  TokenCache& tokens_;
  const BridgeConfig& config_;
  std::function<EpochMillis()> clock_;
  Permits* permits_;
  std::function<bool()> stopping_;
};

}  // namespace ato::bridge
