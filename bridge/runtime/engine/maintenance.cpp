#include "bridge/runtime/engine/maintenance.hpp"

#include <utility>
#include <vector>

#include <spdlog/spdlog.h>

namespace ato::bridge {

void Maintenance::rescue_left_in_flight(EpochMillis now) {
  log_rescue(core_.outbox.rescue_all_in_flight(now, core_.config.retry_policy),
             "were in flight when the bridge last stopped");
}

asio::awaitable<void> Maintenance::run_retry(JobCounters& counters) {
  const EpochMillis now = now_epoch_millis();
  const auto& config = core_.config;
  auto& state = core_.state;
  if (!health_.outbox_usable()) {
    counters.last_result = "not running: the outbox is damaged";
    co_return;
  }
  try {
    // Alone: retention deletes in small transactions of its own, never one long group.
    const auto rescued_and_removed = co_await core_.outbox_thread.run_alone([&] {
      return std::pair{core_.outbox.rescue_expired(now, config.retry_policy),
                       core_.outbox.delete_done_before(now - config.outbox.keep_done_for.count())};
    });
    const auto [rescued, removed] = rescued_and_removed;
    log_rescue(rescued, "were in flight past their lease");
    if (removed > 0)
      spdlog::debug("retry: deleted {} events delivered more than {} ago", removed,
                    format_duration(config.outbox.keep_done_for));
  } catch (const OutboxError& e) {
    health_.outbox_failed(e, "retry");
  }
  if (state.paused) {
    spdlog::info("retry: pushing is paused ({}); one package tests whether the cause is gone", *state.paused);
    tokens_.forget();  // a scope assigned meanwhile is only in a new token
    workers_.allow_probe();
  }
  workers_.open_retry_round();
  counters.last_result = state.paused ? "paused: probing" : "re-sending due retryable events";
  core_.work.notify();
}

asio::awaitable<void> Maintenance::probe_paused_systems() {
  auto& state = core_.state;
  if (state.paused_systems.empty()) co_return;
  std::vector<LmsSystem> registered;
  try {
    registered = co_await landscape_.registered();
  } catch (const std::exception& e) {
    spdlog::warn("retry: cannot ask Landscape Management which systems are registered: {}", e.what());
    co_return;
  }
  for (const auto& system : registered) {
    auto it = state.paused_systems.find(system.system.key());
    if (it == state.paused_systems.end()) continue;
    spdlog::info("{} is registered in Landscape Management now (as {}): its events go again", it->first,
                 system.service_id);
    state.paused_system_tenant.erase(it->first);
    state.paused_systems.erase(it);
    core_.work.notify();
  }
}

void Maintenance::log_rescue(const RescueResult& rescued, std::string_view what) {
  if (rescued.retryable > 0)
    spdlog::warn("{} events {}; they go again after the retry backoff (Cloud ALM deduplicates)",
                 rescued.retryable, what);
  if (rescued.dead > 0)
    spdlog::error(
        "{} events {} and the retry policy gives up on them (retry_policy.max_attempts or "
        "max_age): dead-lettered, see `ato-bridge dead-letters list`",
        rescued.dead, what);
  auto& retry = core_.state.jobs[retry_job()];
  retry.retried += rescued.retryable;
  retry.dead_lettered += rescued.dead;
}

}  // namespace ato::bridge
