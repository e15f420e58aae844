// The push workers: claim a package (and the next one while it is on the wire), push it, settle
// every event by its answer in the outbox, account for it. The retry job opens retry rounds and
// allows a probe while pushing is paused; everything else they decide themselves.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "bridge/push/pusher.hpp"
#include "bridge/push/token_cache.hpp"
#include "bridge/runtime/engine/engine_core.hpp"
#include "bridge/runtime/engine/health.hpp"

namespace ato::bridge {

class PushWorkers {
 public:
  PushWorkers(EngineCore& core, Health& health, Pusher& pusher, TokenCache& tokens);

  // Two workers per connection (see the definition for why).
  void start();
  // The retry job ran: due retryable events may go until nothing of them is due.
  void open_retry_round();
  // While paused: one package may test whether the cause is gone.
  void allow_probe() { probe_allowed_ = true; }

 private:
  milliseconds lease() const;
  // The claims to try, in order: each service's pending events (round robin), then, in a retry
  // round, due retryable ones. Built here; the outbox thread runs them and never sees engine state.
  std::vector<ClaimRequest> claim_requests(EpochMillis now) const;
  // On the outbox thread: the first request that leases events wins (its index and package).
  std::pair<std::size_t, ClaimedPackage> claim_first(std::vector<ClaimRequest>& requests);
  asio::awaitable<std::optional<ClaimedPackage>> claim_next(EpochMillis now);
  // Claims the next package, or nothing (nothing due, or the outbox failed: said in the log).
  asio::awaitable<std::optional<ClaimedPackage>> claim_or_nothing(EpochMillis now);
  // A package claimed ahead that will not go now returns to the outbox as it was: no attempt spent.
  asio::awaitable<void> give_back(std::optional<ClaimedPackage>* ahead);
  // Pushes `package` and meanwhile claims the worker's next one into `ahead`: the outbox thread
  // prepares the next package during the round trip instead of idling through it (bench/e2e.sh).
  asio::awaitable<void> push_and_claim_ahead(ClaimedPackage* package, std::optional<ClaimedPackage>* ahead);
  asio::awaitable<void> worker();
  asio::awaitable<void> push(ClaimedPackage package, bool probing);
  // What the pusher hands back for each request's events, settled in the outbox under the
  // package's lease (on the outbox thread): the one place the bridge settles a push.
  SettleFn settle_in_outbox(std::int64_t lease_token);
  void log_package(const std::string& tenant_name, Service service, std::size_t size,
                   const PushOutcome& outcome);
  void account(const std::string& tenant, Service service, std::size_t size, const PushOutcome& outcome,
               bool from_retry, bool probing);

  EngineCore& core_;
  Health& health_;
  Pusher& pusher_;
  TokenCache& tokens_;
  // The event services active at some tenant: the workers claim from them in turn (and the outbox
  // takes the tenants in turn).
  std::vector<Service> active_services_;
  // Each tenant's active services: its low watermark is over those.
  std::vector<std::pair<std::string, std::vector<Service>>> tenant_services_;
  std::size_t next_claim_ = 0;    // round robin among active_services_
  bool retry_round_ = false;      // the retry job said: due retryable events may go
  std::uint64_t retry_runs_ = 0;  // retry rounds opened so far
  bool probe_allowed_ = false;    // while paused: one package may test whether the cause is gone
};

}  // namespace ato::bridge
