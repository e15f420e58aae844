// The retry job's work besides re-sending (which the push workers do once it opens a retry round):
// rescue leases that ran out, delete what Cloud ALM took long enough ago, test a pause with one
// package, and ask Landscape Management whether paused systems are registered now.
#pragma once

#include <string_view>

#include "bridge/push/token_cache.hpp"
#include "bridge/registration/landscape_client.hpp"
#include "bridge/runtime/engine/engine_core.hpp"
#include "bridge/runtime/engine/health.hpp"
#include "bridge/runtime/engine/push_workers.hpp"

namespace ato::bridge {

class Maintenance {
 public:
  Maintenance(EngineCore& core, Health& health, PushWorkers& workers, TokenCache& tokens,
              LandscapeClient& landscape)
      : core_(core), health_(health), workers_(workers), tokens_(tokens), landscape_(landscape) {}

  // At start: what a previous run left in flight goes again (or is given up on).
  void rescue_left_in_flight(EpochMillis now);
  // One run of the retry job.
  asio::awaitable<void> run_retry(JobCounters& counters);
  // Systems paused because Cloud ALM did not know them: registered meanwhile? Then their events go.
  asio::awaitable<void> probe_paused_systems();

 private:
  // Rescued events count a failed attempt: retried after the backoff (Cloud ALM deduplicates), or
  // dead-lettered once the retry policy gives up on them.
  void log_rescue(const RescueResult& rescued, std::string_view what);

  EngineCore& core_;
  Health& health_;
  PushWorkers& workers_;
  TokenCache& tokens_;
  LandscapeClient& landscape_;
};

}  // namespace ato::bridge
