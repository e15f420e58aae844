// The engine's health and what it acts on: a damaged outbox, a full disk (and its watch), the
// circuit breaker and the pause (403, redirects, refused credentials). The one place where an
// outbox error becomes engine state.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "bridge/push/pusher.hpp"
#include "bridge/runtime/engine/engine_core.hpp"

namespace ato::bridge {

class Health {
 public:
  explicit Health(EngineCore& core) : core_(core) {}

  // Damage and disk trouble stop the work (and say so once): true; any other error is the failed
  // operation's alone: false.
  bool outbox_error_to_state(const OutboxError& e);
  // The same, and any other error logged as `where: what`.
  void outbox_failed(const OutboxError& e, std::string_view where);
  // As outbox_failed, for a package whose lease could not be settled: with disk trouble the disk
  // watch releases the lease once writes work again; otherwise the lease runs out and the retry
  // job rescues the events (a damaged outbox: a restart with a sound one does).
  void settle_failed(const OutboxError& e, std::int64_t lease_token, std::string_view where);

  // Damage does not heal by itself: collecting and pushing stop for good, the bridge says not ready
  // and what to do, once.
  void outbox_damaged(const std::string& why);
  // False once the outbox is damaged, or its path no longer names the file this bridge writes.
  bool outbox_usable();

  // After a package's answer: the breaker counts Cloud ALM's trouble, the pause starts on a refusal
  // and ends when a probe is answered.
  void update_breaker(const PushOutcome& outcome);
  void update_pause(const PushOutcome& outcome, bool probing);

 private:
  void disk_trouble(const std::string& why);
  // While the outbox cannot write: a small write every second. The first that succeeds ends the
  // trouble, and the packages whose answers could not be settled go back to the outbox at once
  // (no attempt spent; Cloud ALM deduplicates what it has already).
  asio::awaitable<void> disk_watch();

  EngineCore& core_;
  std::vector<std::int64_t> stranded_leases_;  // packages whose settle failed on a full disk
};

}  // namespace ato::bridge
