// The engine composed from its parts (bridge/runtime/engine/): what they share (engine_core.hpp),
// health (damage, disk, breaker, pause), the push workers, maintenance (the retry job's rescue,
// retention and probes), the collection jobs, and the schedules that run them. Only wiring here.
#include "bridge/runtime/engine.hpp"

#include <unistd.h>

#include <memory>
#include <utility>

#include "bridge/config/client_options.hpp"
#include "bridge/push/permits.hpp"
#include "bridge/push/pusher.hpp"
#include "bridge/push/token_cache.hpp"
#include "bridge/registration/landscape_client.hpp"
#include "bridge/runtime/engine/collection_jobs.hpp"
#include "bridge/runtime/engine/engine_core.hpp"
#include "bridge/runtime/engine/health.hpp"
#include "bridge/runtime/engine/maintenance.hpp"
#include "bridge/runtime/engine/push_workers.hpp"
#include "bridge/runtime/engine/schedules.hpp"

namespace ato::bridge {
namespace {
net::ClientOptions client_options(const BridgeConfig& c) {
  net::ClientOptions options = client_options_of(c);
  options.max_idle_per_origin = static_cast<std::size_t>(c.push.connections) + 1;
  return options;
}
}  // namespace

struct Engine::Impl {
  Impl(asio::io_context& context, const BridgeConfig& config, Outbox& outbox,
       const std::optional<std::filesystem::path>& record)
      : core(context, config, outbox),
        feed_http(context, client_options(config)),
        alm_http(context, client_options(config)),
        tokens(alm_http, config.cloud_alm, now_epoch_millis),
        push_permits(static_cast<std::size_t>(config.push.connections)),
        pusher(alm_http, tokens, config, now_epoch_millis, &push_permits,
               [this] { return core.state.stopping; }),
        landscape(alm_http, tokens, config),
        health(core),
        workers(core, health, pusher, tokens),
        maintenance(core, health, workers, tokens, landscape),
        collection(core, health, feed_http, record),
        schedules(core, collection, maintenance) {}

  EngineCore core;
  net::HttpClient feed_http;  // separate clients: shutdown cancels the feed at once, pushes later
  net::HttpClient alm_http;
  TokenCache tokens;
  Permits push_permits;  // one per connection: a package holds it while on the wire
  Pusher pusher;
  LandscapeClient landscape;
  Health health;
  PushWorkers workers;
  Maintenance maintenance;
  CollectionJobs collection;
  Schedules schedules;
};

Engine::Engine(asio::io_context& context, const BridgeConfig& config, Outbox& outbox,
               std::optional<std::filesystem::path> record)
    : impl_(std::make_unique<Impl>(context, config, outbox, record)) {}
Engine::~Engine() = default;

void Engine::start() {
  auto& state = impl_->core.state;
  state.started_at = now_epoch_millis();
  state.pid = static_cast<int>(::getpid());
  impl_->maintenance.rescue_left_in_flight(state.started_at);
  impl_->schedules.start();
  impl_->workers.start();
}

int Engine::tick(Job job, const std::optional<std::string>& tenant) {
  return impl_->schedules.tick(job, tenant);
}

void Engine::stop(milliseconds grace, std::function<void()> done) {
  auto& impl = *impl_;
  auto& core = impl.core;
  if (core.state.stopping) return;
  core.state.stopping = true;
  core.on_stopped = std::move(done);
  impl.feed_http.cancel_all();
  impl.schedules.wake_all();
  core.work.notify();
  auto timer = std::make_shared<asio::steady_timer>(core.context, grace);
  timer->async_wait([&impl, timer](const boost::system::error_code&) { impl.alm_http.cancel_all(); });
  if (core.running == 0 && core.on_stopped) asio::post(core.context, std::exchange(core.on_stopped, nullptr));
}

void Engine::abort() {
  auto& impl = *impl_;
  impl.core.state.stopping = true;
  impl.core.on_stopped = nullptr;
  impl.feed_http.cancel_all();
  impl.alm_http.cancel_all();
  impl.schedules.wake_all();
  impl.core.work.notify();
}

bool Engine::busy() const {
  return impl_->core.running > 0;
}

void Engine::read_outbox_view(std::function<void(const OutboxView* view, const std::string& error)> then) {
  impl_->core.spawn(
      [](EngineCore& core,
         std::function<void(const OutboxView*, const std::string&)> then) -> asio::awaitable<void> {
        EngineCore::Alive alive(core);
        std::optional<OutboxView> view;
        std::string error;
        try {
          view = co_await core.outbox_thread.run(
              [&] { return view_of_outbox(core.outbox, core.config, now_epoch_millis()); });
        } catch (const std::exception& e) {
          error = e.what();
        }
        then(view ? &*view : nullptr, error);
      }(impl_->core, std::move(then)),
      "reading the outbox for the admin endpoint");
}

const EngineState& Engine::state() {
  auto& state = impl_->core.state;
  state.cloud_alm.token_fetches = impl_->tokens.fetches();
  state.cloud_alm.token_failures = impl_->tokens.failures();
  state.cloud_alm.connections_opened = static_cast<std::int64_t>(impl_->alm_http.connections_opened());
  return state;
}

}  // namespace ato::bridge
