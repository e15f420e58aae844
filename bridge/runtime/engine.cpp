#include "bridge/runtime/engine.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <set>

#include "bridge/collect/collector.hpp"
#include "bridge/collect/recorder.hpp"
#include "bridge/push/pusher.hpp"
#include "bridge/registration/landscape_client.hpp"

namespace ato::bridge {
namespace asio = boost::asio;
using std::chrono::milliseconds;

namespace {

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

net::ClientOptions client_options(const BridgeConfig& c) {
  net::ClientOptions options;
  options.ca_file = c.ca_file;
  options.verify = c.verify_tls;
  options.timeout = c.push.timeout;
  options.max_idle_per_origin = static_cast<std::size_t>(c.push.connections) + 1;
  return options;
}

constexpr milliseconds kIdlePoll{1000};  // how often idle workers look again without a wake-up

}  // namespace

struct Engine::Impl {
  Impl(asio::io_context& context, const BridgeConfig& config, Outbox& outbox,
       const std::optional<std::filesystem::path>& record)
      : context(context),
        config(config),
        outbox(outbox),
        outbox_thread([&outbox](const auto& steps) { return outbox.together(steps); }),
        feed_http(context, client_options(config)),
        alm_http(context, client_options(config)),
        tokens(alm_http, config.cloud_alm, now_epoch_millis),
        feed(feed_http, config.ato),
        collector(feed, outbox, outbox_thread, config.backfill,
                  {now_epoch_millis, [this] { stored(); }, [this] { return state.stopping; }},
                  config.max_pages_per_run),
        push_permits(static_cast<std::size_t>(config.push.connections)),
        pusher(alm_http, tokens, config, now_epoch_millis, &push_permits, [this] { return state.stopping; }),
        landscape(alm_http, tokens, config) {
    for (Job job : {Job::Export, Job::Import, Job::StatusChange})
      if (settings_of(config, job).active) active_services.push_back(service_of(job));
    if (record) recorder.emplace(*record, outbox);
  }

  // A page of events is committed to the outbox: record it, then wake the pushers.
  void stored() {
    if (recorder) recorder->catch_up();
    work.notify();
  }

  asio::io_context& context;
  const BridgeConfig& config;
  Outbox& outbox;
  OutboxThread outbox_thread;  // every write of the running bridge goes through it, in groups
  net::HttpClient feed_http;   // separate clients: shutdown cancels the feed at once, pushes later
  net::HttpClient alm_http;
  TokenCache tokens;
  FeedClient feed;
  Collector collector;
  Permits push_permits;  // one per connection: a package holds it while on the wire
  Pusher pusher;
  LandscapeClient landscape;
  std::optional<Recorder> recorder;
  EngineState state;
  std::vector<Service> active_services;
  std::set<Service> collecting;       // a poll or catch-up of these services is running
  Signal work;                        // new claimable events, a settled package, a lifted pause
  std::map<Job, Signal> job_wakeups;  // ticks and stop
  std::map<Job, bool> tick_requested;
  bool retry_round = false;      // the retry job said: due retryable events may go
  std::uint64_t retry_runs = 0;  // retry job runs so far
  bool probe_allowed = false;    // while paused: one package may test whether the cause is gone
  std::size_t next_service = 0;  // round robin among the services
  int running = 0;               // coroutines alive; stop() completes at zero
  std::function<void()> on_stopped;
  std::vector<std::int64_t> stranded_leases;  // packages whose settle failed on a full disk

  // Counts a coroutine as alive for the graceful stop.
  struct Alive {
    Impl& impl;
    explicit Alive(Impl& i) : impl(i) { ++impl.running; }
    ~Alive() {
      if (--impl.running == 0 && impl.state.stopping && impl.on_stopped)
        asio::post(impl.context, std::exchange(impl.on_stopped, nullptr));
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

  milliseconds lease() const {
    return std::max<milliseconds>(std::chrono::minutes(2), config.push.timeout * 6);
  }

  // ---- jobs -------------------------------------------------------------------------------------

  asio::awaitable<void> job_loop(Job job) {
    Alive alive(*this);
    JobCounters& counters = state.jobs[job];
    const milliseconds every = settings_of(config, job).run_every;
    EpochMillis next = now_epoch_millis();
    while (!state.stopping) {
      counters.next_run_at = next;
      while (!state.stopping && !tick_requested[job] && now_epoch_millis() < next) {
        const auto seen = job_wakeups[job].generation();
        co_await job_wakeups[job].wait(seen, milliseconds(next - now_epoch_millis()));
      }
      if (state.stopping) break;
      const bool scheduled = !tick_requested[job];
      tick_requested[job] = false;
      counters.last_run_at = now_epoch_millis();
      ++counters.runs;
      if (job == Job::Retry) {
        co_await run_retry(counters);
        co_await probe_paused_systems();
      } else
        co_await run_collect(job, counters);
      // The next slot of the schedule: no drift, and a run that overran skips what it missed.
      if (scheduled) {
        next += every.count();
        const EpochMillis now = now_epoch_millis();
        if (next <= now) next += ((now - next) / every.count() + 1) * every.count();
      }
    }
    counters.next_run_at.reset();
  }

  asio::awaitable<void> run_collect(Job job, JobCounters& counters) {
    const Service service = service_of(job);
    if (!outbox_usable()) {
      counters.last_result = "not collecting: the outbox is damaged (" + *state.outbox_damaged + ")";
      co_return;
    }
    if (state.disk_trouble) {  // the disk watch says when writes work again
      counters.last_result = "not collecting: the outbox cannot write (" + *state.disk_trouble + ")";
      co_return;
    }
    collecting.insert(service);
    try {
      const CollectReport report = co_await collector.collect(service);
      counters.collected += report.collected;
      dead_at_ingestion(counters, job, report);
      counters.last_poll_ok_at = now_epoch_millis();
      counters.last_result =
          report.started_at_head
              ? fmt::format("first run: started at the feed's head {} (no history)", report.cursor)
              : fmt::format("collected {} new events in {} page(s), cursor {}", report.collected,
                            report.pages, report.cursor);
      if (report.collected > 0)
        spdlog::info("{}: collected {} events (cursor {})", name_of(kJobNames, job), report.collected,
                     report.cursor);
      if (state.feed_resets.erase(service) > 0)
        spdlog::info("{}: the ATO feed's head is at or above the cursor again: collecting resumes",
                     name_of(kJobNames, job));
    } catch (const FeedResetError& e) {
      if (!state.feed_resets.count(service)) ++state.feed_resets_seen;
      state.feed_resets[service] = e.what();
      fail(counters, job, e.what(), spdlog::level::err);
    } catch (const FeedError& e) {
      fail(counters, job, e.what(), e.retry_soon() ? spdlog::level::warn : spdlog::level::err);
    } catch (const OutboxDamagedError& e) {
      outbox_damaged(e.what());
      fail(counters, job, e.what(), spdlog::level::err);
    } catch (const DiskTroubleError& e) {
      disk_trouble(e.what());
      fail(counters, job, e.what(), spdlog::level::err);
    } catch (const OutboxError& e) {
      fail(counters, job, e.what(), spdlog::level::err);
    } catch (const std::exception& e) {  // e.g. the recording cannot be written
      fail(counters, job, e.what(), spdlog::level::err);
    }
    collecting.erase(service);
    work.notify();
    co_await catch_up_lagging();
  }

  // The services poll at about the same time, yet each reads the feed up to the head it saw, and
  // the low watermark is the lowest of their cursors: events between the lowest and the highest
  // cursor would wait for the lagging service's next poll (measured: 0.6% of the events waited
  // ~1 s at 1,000 events/s with a 1 s schedule; five minutes with SAP's). So a service behind the
  // highest cursor collects up to it now. A catch-up never goes past that cursor, so it raises
  // nothing: catch-ups follow a scheduled poll, at most one per lagging service.
  asio::awaitable<void> catch_up_lagging() {
    if (active_services.size() < 2 || state.stopping) co_return;
    std::map<Service, std::optional<std::int64_t>> cursors;
    try {
      cursors = co_await outbox_thread.run([&] {
        std::map<Service, std::optional<std::int64_t>> out;
        for (Service s : active_services) out[s] = outbox.cursor(s);
        return out;
      });
    } catch (const OutboxError&) {
      co_return;  // the scheduled polls go on; the failure is reported where it matters
    }
    std::int64_t highest = 0;
    for (const auto& [service, cursor] : cursors) highest = std::max(highest, cursor.value_or(0));
    for (const auto& [service, cursor] : cursors)
      if (cursor && *cursor < highest && !collecting.count(service)) {
        collecting.insert(service);
        spawn(catch_up(service, highest), "a catch-up collection");
      }
  }

  asio::awaitable<void> catch_up(Service service, std::int64_t up_to) {
    Alive alive(*this);
    bool caught_up = false;
    try {
      const CollectReport report = co_await collector.collect(service, up_to);
      JobCounters& counters = state.jobs[job_of(service)];
      counters.collected += report.collected;
      dead_at_ingestion(counters, job_of(service), report);
      if (report.pages > 0) ++counters.catch_up_polls;
      caught_up = true;
      if (report.collected > 0)
        spdlog::debug("{}: caught up to sequence {}: {} events", to_string(service), up_to, report.collected);
    } catch (const OutboxDamagedError& e) {
      outbox_damaged(e.what());
    } catch (const std::exception& e) {  // the next scheduled poll collects them
      spdlog::debug("{}: catching up to sequence {} failed: {}", to_string(service), up_to, e.what());
    }
    collecting.erase(service);
    if (caught_up) co_await catch_up_lagging();  // a scheduled poll may have raised the highest meanwhile
    work.notify();
  }

  // Events the outbox refused to push (a conflicting eventId, an oversized event): said and counted.
  void dead_at_ingestion(JobCounters& counters, Job job, const CollectReport& report) {
    if (report.dead == 0) return;
    counters.dead_lettered += report.dead;
    for (const auto& reason : report.dead_reasons) ++state.ingestion_dead[reason.substr(0, reason.find(':'))];
    spdlog::error(
        "{}: {} event(s) stored as dead letters, never pushed: {}{} (see `ato-bridge dead-letters list`)",
        name_of(kJobNames, job), report.dead, report.dead_reasons.front(),
        report.dead > 1 ? fmt::format(" (and {} more)", report.dead - 1) : "");
  }

  void fail(JobCounters& counters, Job job, const std::string& why, spdlog::level::level_enum level) {
    ++counters.failed_runs;
    counters.last_result = "failed: " + why;
    if (!state.stopping) spdlog::log(level, "{}: run failed: {}", name_of(kJobNames, job), why);
  }

  // Damage does not heal by itself: collecting and pushing stop for good, the bridge says not ready
  // and what to do, once.
  void outbox_damaged(const std::string& why) {
    if (!state.outbox_damaged)
      spdlog::critical(
          "the outbox is damaged: {}. Collecting and pushing stop (the feed's cursor stays where it "
          "was) and the bridge reports not ready until it is restarted with a sound outbox",
          why);
    state.outbox_damaged = why;
  }

  // False once the outbox is damaged, or its path no longer names the file this bridge writes.
  bool outbox_usable() {
    if (state.outbox_damaged) return false;
    try {
      outbox.verify_file();
    } catch (const OutboxDamagedError& e) {
      outbox_damaged(e.what());
      return false;
    }
    return true;
  }

  void disk_trouble(const std::string& why) {
    const bool first = !state.disk_trouble;
    state.disk_trouble = why;  // before the watch starts: co_spawn may run it at once, right here
    if (!first) return;
    spdlog::error(
        "outbox cannot write ({}): collecting and pushing stop and the bridge reports not ready; what is "
        "stored is kept, and work resumes as soon as a write succeeds again (tried every second)",
        why);
    spawn(disk_watch(), "the disk watch");
  }

  // While the outbox cannot write: a small write every second. The first that succeeds ends the
  // trouble, and the packages whose answers could not be settled go back to the outbox at once
  // (no attempt spent; Cloud ALM deduplicates what it has already).
  asio::awaitable<void> disk_watch() {
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

  // Rescued events count a failed attempt: retried after the backoff (Cloud ALM deduplicates), or
  // dead-lettered once the retry policy gives up on them.
  void log_rescue(const RescueResult& rescued, std::string_view what) {
    if (rescued.retryable > 0)
      spdlog::warn("{} events {}; they go again after the retry backoff (Cloud ALM deduplicates)",
                   rescued.retryable, what);
    if (rescued.dead > 0)
      spdlog::error(
          "{} events {} and the retry policy gives up on them (retry_policy.max_attempts or "
          "max_age): dead-lettered, see `ato-bridge dead-letters list`",
          rescued.dead, what);
    state.jobs[Job::Retry].retried += rescued.retryable;
    state.jobs[Job::Retry].dead_lettered += rescued.dead;
  }

  asio::awaitable<void> run_retry(JobCounters& counters) {
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
    } catch (const OutboxDamagedError& e) {
      outbox_damaged(e.what());
    } catch (const DiskTroubleError& e) {
      disk_trouble(e.what());
    } catch (const OutboxError& e) {
      spdlog::error("retry: {}", e.what());
    }
    if (state.paused) {
      spdlog::info("retry: pushing is paused ({}); one package tests whether the cause is gone",
                   *state.paused);
      tokens.forget();  // a scope assigned meanwhile is only in a new token
      probe_allowed = true;
    }
    retry_round = true;
    ++retry_runs;
    counters.last_result = state.paused ? "paused: probing" : "re-sending due retryable events";
    work.notify();
  }

  // Systems paused because Cloud ALM did not know them: registered meanwhile? Then their events go.
  asio::awaitable<void> probe_paused_systems() {
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
      state.paused_systems.erase(it);
      work.notify();
    }
  }

  std::vector<std::string> excluded_systems() const {
    std::vector<std::string> out;
    for (const auto& [system, why] : state.paused_systems) out.push_back(system);
    return out;
  }

  // ---- push workers -----------------------------------------------------------------------------

  // The claims to try, in order: each service's pending events (round robin), then, in a retry
  // round, due retryable ones. Built here; the outbox thread runs them and never sees engine state.
  std::vector<ClaimRequest> claim_requests(EpochMillis now) const {
    std::vector<ClaimRequest> requests;
    const std::size_t n = active_services.size();
    for (std::size_t i = 0; i < n; ++i) {
      const Service service = active_services[(next_service + i) % n];
      requests.push_back({service, ClaimFrom::Pending, settings_of(config, job_of(service)).package_size, now,
                          lease(), kMaxSequence, excluded_systems()});
    }
    if (retry_round && config.retry_service.active)
      for (Service service : active_services)
        requests.push_back({service, ClaimFrom::Retryable, config.retry_service.package_size, now, lease(),
                            kMaxSequence, excluded_systems()});
    return requests;
  }

  // On the outbox thread: the first request that leases events wins (its index and package).
  static std::pair<std::size_t, ClaimedPackage> claim_first(Outbox& outbox,
                                                            std::vector<ClaimRequest>& requests,
                                                            const std::vector<Service>& active) {
    const std::int64_t watermark = outbox.low_watermark(active);
    for (std::size_t i = 0; i < requests.size(); ++i) {
      requests[i].watermark = watermark;
      ClaimedPackage package = outbox.claim(requests[i]);
      if (!package.events.empty()) return {i, std::move(package)};
    }
    return {requests.size(), {}};
  }

  asio::awaitable<std::optional<ClaimedPackage>> claim_next(EpochMillis now) {
    if (active_services.empty()) co_return std::nullopt;
    std::vector<ClaimRequest> requests = claim_requests(now);
    const auto retry_runs_before = retry_runs;
    auto claimed = co_await outbox_thread.run([&] { return claim_first(outbox, requests, active_services); });
    const std::size_t index = claimed.first;
    const std::size_t n = active_services.size();
    if (index < n) {
      next_service = (next_service + index + 1) % n;
      co_return std::move(claimed.second);
    }
    if (index < requests.size()) {
      claimed.second.lease_token = -claimed.second.lease_token;  // marks a retry-job package for accounting
      co_return std::move(claimed.second);
    }
    // Nothing due: no retry round until the retry job's next run (unless it ran meanwhile).
    if (requests.size() > n && retry_runs == retry_runs_before) retry_round = false;
    co_return std::nullopt;
  }

  // Claims the next package, or nothing (nothing due, or the outbox failed: said in the log).
  asio::awaitable<std::optional<ClaimedPackage>> claim_or_nothing(EpochMillis now) {
    std::optional<ClaimedPackage> claimed;
    try {
      claimed = co_await claim_next(now);  // (GCC 12 mishandles `co_return co_await` inside a try)
    } catch (const OutboxDamagedError& e) {
      outbox_damaged(e.what());
    } catch (const DiskTroubleError& e) {
      disk_trouble(e.what());
    } catch (const OutboxError& e) {
      spdlog::error("push: {}", e.what());
    }
    co_return claimed;
  }

  // A package claimed ahead that will not go now returns to the outbox as it was: no attempt spent.
  asio::awaitable<void> give_back(std::optional<ClaimedPackage>* ahead) {
    if (!*ahead) co_return;
    const ClaimedPackage package = std::move(**ahead);
    ahead->reset();
    std::vector<Settlement> back;
    back.reserve(package.events.size());
    for (const auto& e : package.events) back.push_back(Settlement::release(e.id));
    try {
      co_await outbox_thread.run([&] {
        return outbox.settle(std::abs(package.lease_token), back, now_epoch_millis(), config.retry_policy);
      });
    } catch (const DiskTroubleError& e) {  // released by the disk watch once writes work again
      stranded_leases.push_back(std::abs(package.lease_token));
      disk_trouble(e.what());
    } catch (const OutboxError& e) {  // the lease runs out and the retry job rescues the events
      spdlog::error("push: could not return a package to the outbox: {}", e.what());
    }
    work.notify();
  }

  // Pushes `package` and meanwhile claims the worker's next one into `ahead`: the outbox thread
  // prepares the next package during the round trip instead of idling through it (bench/e2e.sh).
  asio::awaitable<void> push_and_claim_ahead(ClaimedPackage* package, bool from_retry,
                                             std::optional<ClaimedPackage>* ahead) {
    const auto executor = co_await asio::this_coro::executor;
    auto [order, push_error, claim_error, claimed] =
        co_await asio::experimental::make_parallel_group(
            asio::co_spawn(executor, push(std::move(*package), from_retry, false), asio::deferred),
            asio::co_spawn(executor, claim_or_nothing(now_epoch_millis()), asio::deferred))
            .async_wait(asio::experimental::wait_for_all(), asio::use_awaitable);
    *ahead = std::move(claimed);
    if (push_error) std::rethrow_exception(push_error);
    if (claim_error) std::rethrow_exception(claim_error);
  }

  asio::awaitable<void> worker() {
    Alive alive(*this);
    std::optional<ClaimedPackage> ahead;  // claimed while the previous package was on the wire
    while (!state.stopping) {
      const auto seen = work.generation();
      const EpochMillis now = now_epoch_millis();
      if (state.outbox_damaged) {  // nothing can be claimed or settled; a lease claimed ahead expires
        ahead.reset();
        co_await work.wait(seen, kIdlePoll);
        continue;
      }
      if (state.disk_trouble) {  // a package claimed ahead waits with its worker; the disk watch wakes it
        co_await work.wait(seen, kIdlePoll);
        continue;
      }
      if (state.paused && !probe_allowed) {
        co_await give_back(&ahead);
        co_await work.wait(seen, kIdlePoll);
        continue;
      }
      if (!state.breaker.would_allow(now)) {
        co_await give_back(&ahead);
        const auto until = state.breaker.state() == CircuitBreaker::State::Open
                               ? milliseconds(state.breaker.reopens_at() - now)
                               : kIdlePoll;
        co_await work.wait(seen, std::min(until, kIdlePoll));
        continue;
      }
      std::optional<ClaimedPackage> package = std::exchange(ahead, std::nullopt);
      if (!package) package = co_await claim_or_nothing(now);
      if (!package) {
        co_await work.wait(seen, kIdlePoll);
        continue;
      }
      const bool from_retry = package->lease_token < 0;
      package->lease_token = std::abs(package->lease_token);
      const bool probing = state.paused.has_value();
      probe_allowed = false;
      state.breaker.allow(now_epoch_millis());
      if (probing)  // a probe goes alone: nothing is claimed behind it
        co_await push(std::move(*package), from_retry, probing);
      else
        co_await push_and_claim_ahead(&*package, from_retry, &ahead);
    }
    co_await give_back(&ahead);  // stopping: what was claimed ahead goes back untouched
  }

  asio::awaitable<void> push(ClaimedPackage package, bool from_retry, bool probing) {
    const Service service = package.events.front().service;
    const std::size_t size = package.events.size();
    const std::int64_t lease_token = package.lease_token;
    PushOutcome outcome;
    try {
      outcome = co_await pusher.push(std::move(package), outbox, outbox_thread);
    } catch (const OutboxDamagedError& e) {
      outbox_damaged(e.what());  // the events stay leased; a restart with a sound outbox rescues them
      co_return;
    } catch (const DiskTroubleError& e) {
      stranded_leases.push_back(lease_token);  // released by the disk watch once writes work again
      disk_trouble(e.what());
      co_return;
    } catch (const OutboxError& e) {
      spdlog::error("push: {}", e.what());
      co_return;
    }
    account(service, size, outcome, from_retry, probing);
  }

  void account(Service service, std::size_t size, const PushOutcome& outcome, bool from_retry, bool probing) {
    const EpochMillis now = now_epoch_millis();
    for (JobCounters* c : {&state.jobs[job_of(service)], from_retry ? &state.jobs[Job::Retry] : nullptr}) {
      if (!c) continue;
      ++c->packages;
      c->accepted += outcome.accepted;
      c->duplicates += outcome.duplicates;
      c->rejected += outcome.rejected;
      c->retried += outcome.settled.retryable;
      c->dead_lettered += outcome.settled.dead;
      c->released += outcome.settled.released;
      if (outcome.settled.done > 0) c->last_push_ok_at = now;
    }
    state.requests_by_status[outcome.last_status] += outcome.requests;
    for (auto latency : outcome.request_latencies) state.push_latency.record(latency);
    for (EpochMillis enqueued : outcome.done_enqueued_at)
      state.acceptance_latency.record(std::chrono::milliseconds(now - enqueued));
    state.token_fetches = tokens.fetches();
    state.token_failures = tokens.failures();
    if (!outcome.token_problem.empty())
      state.token_trouble = outcome.token_problem;
    else if (outcome.requests > 0)
      state.token_trouble.reset();
    update_breaker(outcome);
    update_pause(outcome, probing);
    for (const auto& system : outcome.unregistered_systems) {
      if (state.paused_systems.count(system)) continue;
      const std::string why = fmt::format(
          "Cloud ALM's Landscape Management does not know {} ({}); its events stay "
          "queued: register it (ato-bridge register --system {}) and pushing "
          "resumes by itself",
          system, kNotInLmsCode, system);
      spdlog::error("pushing paused for {}: {}", system, why);
      state.paused_systems[system] = why;
    }
    const auto what = fmt::format("{} package of {} events", to_string(service), size);
    if (outcome.settled.dead > 0)
      spdlog::warn("{}: {} events dead-lettered: {} (see `ato-bridge dead-letters list`)", what,
                   outcome.settled.dead, outcome.problem);
    if (outcome.settled.retryable > 0)
      spdlog::warn("{}: {} events will be retried by the retry job: {}", what, outcome.settled.retryable,
                   outcome.problem);
    spdlog::debug("{}: HTTP {}, {} accepted, {} duplicates, {} rejected", what, outcome.last_status,
                  outcome.accepted, outcome.duplicates, outcome.rejected);
    if (outcome.settled.done + outcome.settled.dead + outcome.settled.released > 0) work.notify();
  }

  void update_breaker(const PushOutcome& outcome) {
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

  void update_pause(const PushOutcome& outcome, bool probing) {
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
};

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
  for (Job job : {Job::Export, Job::Import, Job::StatusChange, Job::Retry}) {
    auto& counters = s.jobs[job];
    if (!settings_of(impl_->config, job).active) {
      counters.last_result = "inactive: collects and sends nothing";
      spdlog::info("{}: inactive (collects and sends nothing)", name_of(kJobNames, job));
      continue;
    }
    impl_->spawn(impl_->job_loop(job), "a job");
  }
  // Two workers per connection: while one settles its answer in the outbox (a wait behind the
  // outbox thread's queue and commit), the other's package is on the wire. One worker per
  // connection left the connection idle meanwhile: 8 connections drained a 1M backlog ~7% faster
  // than 4 (bench/README.md).
  for (int i = 0; i < 2 * impl_->config.push.connections; ++i) impl_->spawn(impl_->worker(), "a push worker");
}

bool Engine::tick(Job job) {
  if (!settings_of(impl_->config, job).active) return false;
  impl_->tick_requested[job] = true;
  impl_->job_wakeups[job].notify();
  return true;
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

const EngineState& Engine::state() {
  impl_->state.token_fetches = impl_->tokens.fetches();
  impl_->state.token_failures = impl_->tokens.failures();
  impl_->state.cloud_alm_connections_opened = static_cast<std::int64_t>(impl_->alm_http.connections_opened());
  return impl_->state;
}

}  // namespace ato::bridge
