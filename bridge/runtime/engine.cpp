// The engine's jobs (schedules, collection, catch-up, the retry job) and its public face; the push
// workers are in push_workers.cpp, the engine's health (pause, breaker, disk, damage) in
// engine_health.cpp, their shared state in engine_impl.hpp.
#include "bridge/runtime/engine.hpp"

#include <unistd.h>

#include <utility>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <boost/asio/deferred.hpp>
#include <boost/asio/experimental/parallel_group.hpp>

#include "bridge/runtime/engine_impl.hpp"

namespace ato::bridge {

const TenantRuntime* Engine::Impl::tenant(const std::string& name) const {
  for (const auto& t : tenants)
    if (t->config.name == name) return t.get();
  return nullptr;
}

TenantRuntime* Engine::Impl::tenant(const std::string& name) {
  return const_cast<TenantRuntime*>(std::as_const(*this).tenant(name));
}

milliseconds Engine::Impl::run_every(const JobKey& key) const {
  if (key.job == Job::Retry) return config.retry_service.run_every;
  return settings_of(*config.tenant(key.tenant), key.job).run_every;
}

std::string Engine::Impl::job_label(const JobKey& key) const {
  if (key.job == Job::Retry) return "retry";
  return fmt::format("{} {}", key.tenant, name_of(kJobNames, key.job));
}

// `tenant` is null for the retry job.
asio::awaitable<void> Engine::Impl::job_loop(TenantRuntime* tenant, Job job) {
  Alive alive(*this);
  const JobKey key{tenant ? tenant->config.name : "", job};
  JobCounters& counters = state.jobs[key];
  const milliseconds every = run_every(key);
  EpochMillis next = now_epoch_millis();
  while (!state.stopping) {
    counters.next_run_at = next;
    while (!state.stopping && !tick_requested[key] && now_epoch_millis() < next) {
      const auto seen = job_wakeups[key].generation();
      co_await job_wakeups[key].wait(seen, milliseconds(next - now_epoch_millis()));
    }
    if (state.stopping) break;
    const bool scheduled = !tick_requested[key];
    tick_requested[key] = false;
    counters.last_run_at = now_epoch_millis();
    ++counters.runs;
    if (!tenant) {
      co_await run_retry(counters);
      co_await probe_paused_systems();
    } else
      co_await run_collect(*tenant, job, counters);
    // The next slot of the schedule: no drift, and a run that overran skips what it missed.
    if (scheduled) {
      next += every.count();
      const EpochMillis now = now_epoch_millis();
      if (next <= now) next += ((now - next) / every.count() + 1) * every.count();
    }
  }
  counters.next_run_at.reset();
}

asio::awaitable<void> Engine::Impl::run_collect(TenantRuntime& tenant, Job job, JobCounters& counters) {
  const Service service = service_of(job);
  const JobKey key{tenant.config.name, job};
  const std::string label = job_label(key);
  const auto reset_key = std::pair{tenant.config.name, service};
  if (!outbox_usable()) {
    counters.last_result = "not collecting: the outbox is damaged (" + *state.outbox_damaged + ")";
    co_return;
  }
  if (state.disk_trouble) {  // the disk watch says when writes work again
    counters.last_result = "not collecting: the outbox cannot write (" + *state.disk_trouble + ")";
    co_return;
  }
  tenant.collecting.insert(service);
  const auto poll_started = std::chrono::steady_clock::now();
  // What the run stored, also when it then fails (a page stored, the next refused): counted either way.
  CollectReport report;
  bool counted = false;
  const auto count_stored = [&] {
    if (counted) return;
    counted = true;
    counters.collected += report.collected;
    dead_at_ingestion(counters, key, report);
  };
  try {
    co_await tenant.collector.collect(service, kMaxSequence, &report);
    count_stored();
    counters.last_poll_ok_at = now_epoch_millis();
    counters.failed_in_a_row = 0;
    counters.last_result =
        report.started_at_head
            ? fmt::format("first run: started at the feed's head {} (no history)", report.cursor)
            : fmt::format("collected {} new events in {} page(s), cursor {}", report.collected, report.pages,
                          report.cursor);
    if (report.collected > 0)
      log_with_fields(
          spdlog::level::info,
          {{"tenant", key.tenant},
           {"service", name_of(kJobNames, job)},
           {"events", report.collected},
           {"cursor", report.cursor}},
          fmt::format("{}: collected {} events (cursor {})", label, report.collected, report.cursor));
    if (state.feed_resets.erase(reset_key) > 0)
      log_with_fields(spdlog::level::info, {{"tenant", key.tenant}, {"service", name_of(kJobNames, job)}},
                      label + ": the ATO feed's head is at or above the cursor again: collecting resumes");
  } catch (const FeedResetError& e) {
    if (!state.feed_resets.count(reset_key)) ++state.feed_resets_seen;
    state.feed_resets[reset_key] = e.what();
    fail(counters, key, e.what(), spdlog::level::err);
  } catch (const FeedError& e) {
    fail(counters, key, e.what(), e.retry_soon() ? spdlog::level::warn : spdlog::level::err);
  } catch (const OutboxError& e) {
    outbox_error_to_state(e);
    fail(counters, key, e.what(), spdlog::level::err);
  } catch (const std::exception& e) {  // e.g. the recording cannot be written
    fail(counters, key, e.what(), spdlog::level::err);
  }
  if (!counted && report.collected > 0) {
    log_with_fields(spdlog::level::info,
                    {{"tenant", key.tenant},
                     {"service", name_of(kJobNames, job)},
                     {"events", report.collected},
                     {"cursor", report.cursor}},
                    fmt::format("{}: collected {} events (cursor {}) before the run failed; they are stored "
                                "and will be pushed",
                                label, report.collected, report.cursor));
  }
  count_stored();
  counters.poll_duration.record(
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - poll_started));
  tenant.collecting.erase(service);
  work.notify();
  co_await catch_up_lagging(tenant);
}

asio::awaitable<void> Engine::Impl::catch_up_lagging(TenantRuntime& tenant) {
  if (tenant.active_services.size() < 2 || state.stopping) co_return;
  std::map<Service, std::optional<std::int64_t>> cursors;
  try {
    cursors = co_await outbox_thread.run([&] {
      std::map<Service, std::optional<std::int64_t>> out;
      for (Service s : tenant.active_services) out[s] = outbox.cursor(tenant.config.name, s);
      return out;
    });
  } catch (const OutboxError&) {
    co_return;  // the scheduled polls go on; the failure is reported where it matters
  }
  std::int64_t highest = 0;
  for (const auto& [service, cursor] : cursors) highest = std::max(highest, cursor.value_or(0));
  for (const auto& [service, cursor] : cursors)
    if (cursor && *cursor < highest && !tenant.collecting.count(service)) {
      tenant.collecting.insert(service);
      spawn(catch_up(tenant, service, highest), "a catch-up collection");
    }
}

asio::awaitable<void> Engine::Impl::catch_up(TenantRuntime& tenant, Service service, std::int64_t up_to) {
  Alive alive(*this);
  bool caught_up = false;
  const JobKey key{tenant.config.name, job_of(service)};
  CollectReport report;  // what was stored counts, also when the catch-up then fails
  try {
    co_await tenant.collector.collect(service, up_to, &report);
    if (report.pages > 0) ++state.jobs[key].catch_up_polls;
    caught_up = true;
    if (report.collected > 0)
      log_with_fields(
          spdlog::level::debug,
          {{"tenant", key.tenant},
           {"service", name_of(kJobNames, key.job)},
           {"events", report.collected},
           {"cursor", up_to}},
          fmt::format("{}: caught up to sequence {}: {} events", job_label(key), up_to, report.collected));
  } catch (const OutboxDamagedError& e) {
    outbox_damaged(e.what());
  } catch (const std::exception& e) {  // the next scheduled poll collects them
    log_with_fields(
        spdlog::level::debug,
        {{"tenant", key.tenant}, {"service", name_of(kJobNames, key.job)}, {"error", e.what()}},
        fmt::format("{}: catching up to sequence {} failed: {}", job_label(key), up_to, e.what()));
  }
  JobCounters& counters = state.jobs[key];
  counters.collected += report.collected;
  dead_at_ingestion(counters, key, report);
  tenant.collecting.erase(service);
  if (caught_up) co_await catch_up_lagging(tenant);  // a scheduled poll may have raised the highest meanwhile
  work.notify();
}

void Engine::Impl::dead_at_ingestion(JobCounters& counters, const JobKey& key, const CollectReport& report) {
  if (report.dead == 0) return;
  counters.dead_lettered += report.dead;
  for (const auto& reason : report.dead_reasons) ++state.ingestion_dead[reason.substr(0, reason.find(':'))];
  const std::string& first = report.dead_reasons.front();
  log_with_fields(
      spdlog::level::err,
      {{"tenant", key.tenant},
       {"service", name_of(kJobNames, key.job)},
       {"dead", report.dead},
       {"reason", std::string_view(first).substr(0, first.find(':'))}},
      fmt::format(
          "{}: {} event(s) stored as dead letters, never pushed: {}{} (see `ato-bridge dead-letters list`)",
          job_label(key), report.dead, first,
          report.dead > 1 ? fmt::format(" (and {} more)", report.dead - 1) : ""));
}

void Engine::Impl::fail(JobCounters& counters, const JobKey& key, const std::string& why,
                        spdlog::level::level_enum level) {
  ++counters.failed_runs;
  ++counters.failed_in_a_row;
  counters.last_result = "failed: " + why;
  if (state.stopping) return;
  log_with_fields(level, {{"tenant", key.tenant}, {"service", name_of(kJobNames, key.job)}, {"error", why}},
                  fmt::format("{}: run failed: {}", job_label(key), why));
}

asio::awaitable<void> Engine::Impl::run_retry(JobCounters& counters) {
  const EpochMillis now = now_epoch_millis();
  if (!outbox_usable()) {
    counters.last_result = "not running: the outbox is damaged";
    co_return;
  }
  try {
    // Alone: retention deletes in small transactions of its own, never one long group.
    const auto rescued_and_removed = co_await outbox_thread.run_alone([&] {
      return std::pair{outbox.rescue_expired(now, config.retry_policy),
                       outbox.delete_done_before(now - config.keep_done_for.count())};
    });
    const auto [rescued, removed] = rescued_and_removed;
    log_rescue(rescued, "were in flight past their lease");
    if (removed > 0)
      spdlog::debug("retry: deleted {} events delivered more than {} ago", removed,
                    format_duration(config.keep_done_for));
  } catch (const OutboxError& e) {
    outbox_failed(e, "retry");
  }
  if (state.paused) {
    spdlog::info("retry: pushing is paused ({}); one package tests whether the cause is gone", *state.paused);
    tokens.forget();  // a scope assigned meanwhile is only in a new token
    probe_allowed = true;
  }
  retry_round = true;
  ++retry_runs;
  counters.last_result = state.paused ? "paused: probing" : "re-sending due retryable events";
  work.notify();
}

asio::awaitable<void> Engine::Impl::probe_paused_systems() {
  if (state.paused_systems.empty()) co_return;
  std::vector<LmsSystem> registered;
  try {
    registered = co_await landscape.registered();
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
    work.notify();
  }
}

Engine::Engine(asio::io_context& context, const BridgeConfig& config, Outbox& outbox,
               std::optional<std::filesystem::path> record)
    : impl_(std::make_unique<Impl>(context, config, outbox, record)) {}
Engine::~Engine() = default;

void Engine::start() {
  auto& s = impl_->state;
  s.started_at = now_epoch_millis();
  s.pid = static_cast<int>(::getpid());
  impl_->log_rescue(impl_->outbox.rescue_all_in_flight(s.started_at, impl_->config.retry_policy),
                    "were in flight when the bridge last stopped");
  for (auto& tenant : impl_->tenants)
    for (Job job : {Job::Export, Job::Import, Job::StatusChange}) {
      auto& counters = s.jobs[{tenant->config.name, job}];
      if (!settings_of(tenant->config, job).active) {
        counters.last_result = "inactive: collects and sends nothing";
        log_with_fields(
            spdlog::level::info, {{"tenant", tenant->config.name}, {"service", name_of(kJobNames, job)}},
            impl_->job_label({tenant->config.name, job}) + ": inactive (collects and sends nothing)");
        continue;
      }
      impl_->spawn(impl_->job_loop(tenant.get(), job), "a job");
    }
  auto& retry = s.jobs[retry_job()];
  if (impl_->config.retry_service.active) {
    impl_->spawn(impl_->job_loop(nullptr, Job::Retry), "a job");
  } else {
    retry.last_result = "inactive: failed events are not re-sent";
    spdlog::info("retry: inactive (failed events are not re-sent)");
  }
  // Two workers per connection: while one settles its answer in the outbox (a wait behind the
  // outbox thread's queue and commit), the other's package is on the wire. One worker per
  // connection left the connection idle meanwhile: 8 connections drained a 1M backlog ~7% faster
  // than 4 (bench/README.md).
  for (int i = 0; i < 2 * impl_->config.push.connections; ++i) impl_->spawn(impl_->worker(), "a push worker");
}

int Engine::tick(Job job, const std::optional<std::string>& tenant) {
  int ticked = 0;
  const auto tick_one = [&](const JobKey& key) {
    impl_->tick_requested[key] = true;
    impl_->job_wakeups[key].notify();
    ++ticked;
  };
  if (job == Job::Retry) {
    if (impl_->config.retry_service.active) tick_one(retry_job());
    return ticked;
  }
  for (const auto& t : impl_->tenants)
    if ((!tenant || *tenant == t->config.name) && settings_of(t->config, job).active)
      tick_one({t->config.name, job});
  return ticked;
}

void Engine::stop(milliseconds grace, std::function<void()> done) {
  auto& impl = *impl_;
  if (impl.state.stopping) return;
  impl.state.stopping = true;
  impl.on_stopped = std::move(done);
  impl.feed_http.cancel_all();
  for (auto& [job, signal] : impl.job_wakeups) signal.notify();
  impl.work.notify();
  auto timer = std::make_shared<asio::steady_timer>(impl.context, grace);
  timer->async_wait([&impl, timer](const boost::system::error_code&) { impl.alm_http.cancel_all(); });
  if (impl.running == 0 && impl.on_stopped) asio::post(impl.context, std::exchange(impl.on_stopped, nullptr));
}

void Engine::abort() {
  auto& impl = *impl_;
  impl.state.stopping = true;
  impl.on_stopped = nullptr;
  impl.feed_http.cancel_all();
  impl.alm_http.cancel_all();
  for (auto& [job, signal] : impl.job_wakeups) signal.notify();
  impl.work.notify();
}

bool Engine::busy() const {
  return impl_->running > 0;
}

void Engine::read_outbox_view(std::function<void(const OutboxView* view, const std::string& error)> then) {
  impl_->spawn(
      [](Impl& impl,
         std::function<void(const OutboxView*, const std::string&)> then) -> asio::awaitable<void> {
        Impl::Alive alive(impl);
        std::optional<OutboxView> view;
        std::string error;
        try {
          view = co_await impl.outbox_thread.run(
              [&] { return view_of_outbox(impl.outbox, impl.config, now_epoch_millis()); });
        } catch (const std::exception& e) {
          error = e.what();
        }
        then(view ? &*view : nullptr, error);
      }(*impl_, std::move(then)),
      "reading the outbox for the admin endpoint");
}

const EngineState& Engine::state() {
  impl_->state.token_fetches = impl_->tokens.fetches();
  impl_->state.token_failures = impl_->tokens.failures();
  impl_->state.cloud_alm_connections_opened = static_cast<std::int64_t>(impl_->alm_http.connections_opened());
  return impl_->state;
}

}  // namespace ato::bridge
