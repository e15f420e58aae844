// What the engine knows of its own health and acts on: the pause (403, redirects, refused
// credentials), the circuit breaker, a full disk (and its watch), a damaged outbox, rescued leases.
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <boost/asio/deferred.hpp>
#include <boost/asio/experimental/parallel_group.hpp>

#include "bridge/runtime/engine_impl.hpp"

namespace ato::bridge {

bool Engine::Impl::outbox_error_to_state(const OutboxError& e) {
  if (dynamic_cast<const OutboxDamagedError*>(&e))
    outbox_damaged(e.what());
  else if (dynamic_cast<const DiskTroubleError*>(&e))
    disk_trouble(e.what());
  else
    return false;
  return true;
}

void Engine::Impl::outbox_failed(const OutboxError& e, std::string_view where) {
  if (!outbox_error_to_state(e)) spdlog::error("{}: {}", where, e.what());
}

void Engine::Impl::outbox_damaged(const std::string& why) {
  if (!state.outbox_damaged)
    spdlog::critical(
        "the outbox is damaged: {}. Collecting and pushing stop (the feed's cursor stays where it "
        "was) and the bridge reports not ready until it is restarted with a sound outbox",
        why);
  state.outbox_damaged = why;
}

bool Engine::Impl::outbox_usable() {
  if (state.outbox_damaged) return false;
  try {
    outbox.verify_file();
  } catch (const OutboxDamagedError& e) {
    outbox_damaged(e.what());
    return false;
  }
  return true;
}

void Engine::Impl::disk_trouble(const std::string& why) {
  const bool first = !state.disk_trouble;
  state.disk_trouble = why;  // before the watch starts: co_spawn may run it at once, right here
  if (!first) return;
  spdlog::error(
      "outbox cannot write ({}): collecting and pushing stop and the bridge reports not ready; what is "
      "stored is kept, and work resumes as soon as a write succeeds again (tried every second)",
      why);
  spawn(disk_watch(), "the disk watch");
}

asio::awaitable<void> Engine::Impl::disk_watch() {
  Alive alive(*this);
  asio::steady_timer timer(co_await asio::this_coro::executor);
  while (!state.stopping && state.disk_trouble) {
    timer.expires_after(std::chrono::seconds(1));
    boost::system::error_code ignored;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
    if (state.stopping) break;
    int released = 0;
    try {
      released = co_await outbox_thread.run([&] {
        outbox.probe_write();
        return outbox.release_leases(stranded_leases);
      });
    } catch (const DiskTroubleError& e) {
      spdlog::debug("outbox write probe: {}", e.what());
      continue;
    } catch (const OutboxError& e) {
      spdlog::error("outbox write probe: {}", e.what());
      continue;
    }
    stranded_leases.clear();
    state.disk_trouble.reset();
    spdlog::info("outbox writable again (a write succeeded): collecting and pushing resume{}",
                 released > 0
                     ? fmt::format("; {} events whose answers could not be stored go again", released)
                     : std::string());
    work.notify();
  }
}

void Engine::Impl::log_rescue(const RescueResult& rescued, std::string_view what) {
  if (rescued.retryable > 0)
    spdlog::warn("{} events {}; they go again after the retry backoff (Cloud ALM deduplicates)",
                 rescued.retryable, what);
  if (rescued.dead > 0)
    spdlog::error(
        "{} events {} and the retry policy gives up on them (retry_policy.max_attempts or "
        "max_age): dead-lettered, see `ato-bridge dead-letters list`",
        rescued.dead, what);
  state.jobs[retry_job()].retried += rescued.retryable;
  state.jobs[retry_job()].dead_lettered += rescued.dead;
}

void Engine::Impl::update_breaker(const PushOutcome& outcome) {
  const auto before = state.breaker.state();
  if (outcome.cloud_alm_trouble)
    state.breaker.on_failure(now_epoch_millis());
  else if (outcome.answered)
    state.breaker.on_success();
  const auto after = state.breaker.state();
  if (before == after) return;
  if (after == CircuitBreaker::State::Open)
    spdlog::warn("circuit breaker open: Cloud ALM is failing ({}); pushing waits until {}, then one probe",
                 outcome.problem, format_iso8601_utc(state.breaker.reopens_at()));
  else if (after == CircuitBreaker::State::Closed)
    spdlog::info("circuit breaker closed: Cloud ALM answers again");
}

void Engine::Impl::update_pause(const PushOutcome& outcome, bool probing) {
  if (outcome.paused) {
    if (!state.paused)
      spdlog::error(
          "pushing paused: {}. Events stay queued; the retry job checks on every run whether the "
          "cause is gone.",
          outcome.problem);
    state.paused = outcome.problem;
  } else if (probing && outcome.answered && state.paused) {
    spdlog::info("pushing resumed: Cloud ALM accepts the pushes again");
    state.paused.reset();
    work.notify();
  }
}

}  // namespace ato::bridge
