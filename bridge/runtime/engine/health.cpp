#include "bridge/runtime/engine/health.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace ato::bridge {

bool Health::outbox_error_to_state(const OutboxError& e) {
  if (dynamic_cast<const OutboxDamagedError*>(&e))
    outbox_damaged(e.what());
  else if (dynamic_cast<const DiskTroubleError*>(&e))
    disk_trouble(e.what());
  else
    return false;
  return true;
}

void Health::outbox_failed(const OutboxError& e, std::string_view where) {
  if (!outbox_error_to_state(e)) spdlog::error("{}: {}", where, e.what());
}

void Health::settle_failed(const OutboxError& e, std::int64_t lease_token, std::string_view where) {
  if (dynamic_cast<const DiskTroubleError*>(&e)) stranded_leases_.push_back(lease_token);
  outbox_failed(e, where);
}

void Health::outbox_damaged(const std::string& why) {
  if (!core_.state.outbox_damaged)
    spdlog::critical(
        "the outbox is damaged: {}. Collecting and pushing stop (the feed's cursor stays where it "
        "was) and the bridge reports not ready until it is restarted with a sound outbox",
        why);
  core_.state.outbox_damaged = why;
}

bool Health::outbox_usable() {
  if (core_.state.outbox_damaged) return false;
  try {
    core_.outbox.verify_file();
  } catch (const OutboxDamagedError& e) {
    outbox_damaged(e.what());
    return false;
  }
  return true;
}

void Health::disk_trouble(const std::string& why) {
  const bool first = !core_.state.disk_trouble;
  core_.state.disk_trouble = why;  // before the watch starts: co_spawn may run it at once, right here
  if (!first) return;
  spdlog::error(
      "outbox cannot write ({}): collecting and pushing stop and the bridge reports not ready; what is "
      "stored is kept, and work resumes as soon as a write succeeds again (tried every second)",
      why);
  core_.spawn(disk_watch(), "the disk watch");
}

asio::awaitable<void> Health::disk_watch() {
  EngineCore::Alive alive(core_);
  auto& state = core_.state;
  asio::steady_timer timer(co_await asio::this_coro::executor);
  while (!state.stopping && state.disk_trouble) {
    timer.expires_after(std::chrono::seconds(1));
    boost::system::error_code ignored;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
    if (state.stopping) break;
    int released = 0;
    try {
      released = co_await core_.outbox_thread.run([&] {
        core_.outbox.probe_write();
        return core_.outbox.release_leases(stranded_leases_);
      });
    } catch (const DiskTroubleError& e) {
      spdlog::debug("outbox write probe: {}", e.what());
      continue;
    } catch (const OutboxError& e) {
      spdlog::error("outbox write probe: {}", e.what());
      continue;
    }
    stranded_leases_.clear();
    state.disk_trouble.reset();
    spdlog::info("outbox writable again (a write succeeded): collecting and pushing resume{}",
                 released > 0
                     ? fmt::format("; {} events whose answers could not be stored go again", released)
                     : std::string());
    core_.work.notify();
  }
}

void Health::update_breaker(const PushOutcome& outcome) {
  auto& breaker = core_.state.breaker;
  const auto before = breaker.state();
  if (outcome.cloud_alm_trouble)
    breaker.on_failure(now_epoch_millis());
  else if (outcome.answered)
    breaker.on_success();
  const auto after = breaker.state();
  if (before == after) return;
  if (after == CircuitBreaker::State::Open)
    spdlog::warn("circuit breaker open: Cloud ALM is failing ({}); pushing waits until {}, then one probe",
                 outcome.problem, format_iso8601_utc(breaker.reopens_at()));
  else if (after == CircuitBreaker::State::Closed)
    spdlog::info("circuit breaker closed: Cloud ALM answers again");
}

void Health::update_pause(const PushOutcome& outcome, bool probing) {
  auto& paused = core_.state.paused;
  if (outcome.paused) {
    if (!paused)
      spdlog::error(
          "pushing paused: {}. Events stay queued; the retry job checks on every run whether the "
          "cause is gone.",
          outcome.problem);
    paused = outcome.problem;
  } else if (probing && outcome.answered && paused) {
    spdlog::info("pushing resumed: Cloud ALM accepts the pushes again");
    paused.reset();
    core_.work.notify();
  }
}

}  // namespace ato::bridge
