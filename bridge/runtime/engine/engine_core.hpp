// What every part of the running engine shares (internal to bridge/runtime): the configuration, the
// outbox and its one thread, the state status and metrics report, the wake-up for push workers,
// and the count of live coroutines that a graceful stop waits for. Everything runs on the engine's
// one io_context thread; the parts are composed in bridge/runtime/engine.cpp.
#pragma once

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <functional>
#include <set>
#include <utility>

#include "bridge/config.hpp"
#include "bridge/outbox/outbox.hpp"
#include "bridge/outbox/outbox_thread.hpp"
#include "bridge/runtime/engine_state.hpp"

namespace ato::bridge {
namespace asio = boost::asio;
using std::chrono::milliseconds;

// Wakes coroutines waiting for work. A waiter passes the generation it saw before it last looked
// for work, so a notification that came meanwhile is never lost; every wait is bounded.
class Signal {
 public:
  std::uint64_t generation() const { return generation_; }

  asio::awaitable<void> wait(std::uint64_t seen, milliseconds timeout) {
    if (seen != generation_ || timeout.count() <= 0) co_return;
    asio::steady_timer timer(co_await asio::this_coro::executor, timeout);
    waiting_.insert(&timer);
    boost::system::error_code ignored;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
    waiting_.erase(&timer);
  }

  void notify() {
    ++generation_;
    for (auto* timer : waiting_) timer->cancel();
  }

 private:
  std::uint64_t generation_ = 0;
  std::set<asio::steady_timer*> waiting_;
};

inline constexpr milliseconds kIdlePoll{1000};  // how often idle workers look again without a wake-up

// "S4D~080 export", "retry": how the log names a job.
inline std::string job_label(const JobKey& key) {
  if (key.job == Job::Retry) return "retry";
  return fmt::format("{} {}", key.tenant, name_of(kJobNames, key.job));
}

struct EngineCore {
  EngineCore(asio::io_context& context, const BridgeConfig& config, Outbox& outbox)
      : context(context),
        config(config),
        outbox(outbox),
        outbox_thread([&outbox](const auto& steps) { return outbox.together(steps); }) {}

  asio::io_context& context;
  const BridgeConfig& config;
  Outbox& outbox;
  OutboxThread outbox_thread;  // every write of the running bridge goes through it, in groups
  EngineState state;
  Signal work;      // new claimable events, a settled package, a lifted pause: the push workers look
  int running = 0;  // coroutines alive; stop() completes at zero
  std::function<void()> on_stopped;

  // Counts a coroutine as alive for the graceful stop.
  struct Alive {
    EngineCore& core;
    explicit Alive(EngineCore& c) : core(c) { ++core.running; }
    ~Alive() {
      if (--core.running == 0 && core.state.stopping && core.on_stopped)
        asio::post(core.context, std::exchange(core.on_stopped, nullptr));
    }
  };

  void spawn(asio::awaitable<void> task, const char* what) {
    asio::co_spawn(context, std::move(task), [what](std::exception_ptr error) {
      if (!error) return;
      try {
        std::rethrow_exception(error);
      } catch (const std::exception& e) {
        spdlog::critical("{} ended unexpectedly: {}", what, e.what());
      }
    });
  }
};

}  // namespace ato::bridge
