// The running engine's state and its parts, shared by the files that implement them (internal to
// bridge/runtime): engine.cpp (jobs: schedules, collection, catch-up, retry), push_workers.cpp
// (claim, push, settle, accounting) and engine_health.cpp (pause, circuit breaker, disk trouble,
// a damaged outbox). Everything runs on the engine's one io_context thread.
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
#include <map>
#include <optional>
#include <set>
#include <vector>

#include "bridge/collect/collector.hpp"
#include "bridge/config/client_options.hpp"
#include "bridge/outbox/outbox_thread.hpp"
#include "bridge/push/pusher.hpp"
#include "bridge/registration/landscape_client.hpp"
#include "bridge/runtime/engine.hpp"
#include "bridge/runtime/recorder.hpp"

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

inline net::ClientOptions client_options(const BridgeConfig& c) {
  net::ClientOptions options = client_options_of(c);
  options.max_idle_per_origin = static_cast<std::size_t>(c.push.connections) + 1;
  return options;
}

inline constexpr milliseconds kIdlePoll{1000};  // how often idle workers look again without a wake-up

// A tenant's collected pages go to the outbox, on the outbox thread.
inline CollectedStore store_in(Outbox& outbox, OutboxThread& outbox_thread, std::string tenant,
                               std::function<EpochMillis()> clock) {
  return {[&outbox, &outbox_thread, tenant, clock](Service service, const std::vector<NewEvent>& events,
                                                   std::int64_t cursor) -> asio::awaitable<EnqueueResult> {
            co_return co_await outbox_thread.run(
                [&] { return outbox.enqueue(tenant, service, events, cursor, clock()); });
          },
          [&outbox, &outbox_thread, tenant](Service service) -> asio::awaitable<std::optional<std::int64_t>> {
            co_return co_await outbox_thread.run([&] { return outbox.cursor(tenant, service); });
          }};
}

// One tenant's SAP_COM_0690 arrangement at run time: its feed, its collector and its event jobs. A
// tenant's trouble (401, unreachable, upgrade window, a reset feed) stays in its own jobs.
struct TenantRuntime {
  TenantRuntime(const TenantConfig& config, net::HttpClient& http, Outbox& outbox,
                OutboxThread& outbox_thread, bool backfill, CollectorHooks hooks, int max_pages_per_run)
      : config(config),
        feed(http, config.ato),
        collector(config.name, feed, store_in(outbox, outbox_thread, config.name, now_epoch_millis), backfill,
                  std::move(hooks), max_pages_per_run),
        active_services(bridge::active_services(config)) {}
  const TenantConfig& config;
  FeedClient feed;
  Collector collector;
  std::vector<Service> active_services;
  std::set<Service> collecting;  // a poll or catch-up of these services is running
};

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
        push_permits(static_cast<std::size_t>(config.push.connections)),
        pusher(alm_http, tokens, config, now_epoch_millis, &push_permits, [this] { return state.stopping; }),
        landscape(alm_http, tokens, config) {
    for (const auto& t : config.tenants) {
      tenants.push_back(std::make_unique<TenantRuntime>(
          t, feed_http, outbox, outbox_thread, config.backfill,
          CollectorHooks{now_epoch_millis, [this] { stored(); }, [this] { return state.stopping; }},
          config.max_pages_per_run));
      for (Service s : tenants.back()->active_services)
        if (std::find(active_services.begin(), active_services.end(), s) == active_services.end())
          active_services.push_back(s);
    }
    if (record) recorder.emplace(*record, outbox);
  }

  // A page of events is committed to the outbox: record it, then wake the pushers. The recorder
  // reads the outbox, so on the outbox thread (its one door), and alone, outside any group: a group
  // could still roll back what it would read.
  void stored() {
    if (recorder) spawn(record_committed(), "the recording");
    work.notify();
  }
  asio::awaitable<void> record_committed() {
    Alive alive(*this);
    co_await outbox_thread.run_alone([this] { recorder->catch_up(); });
  }

  asio::io_context& context;
  const BridgeConfig& config;
  Outbox& outbox;
  OutboxThread outbox_thread;  // every write of the running bridge goes through it, in groups
  net::HttpClient feed_http;   // separate clients: shutdown cancels the feed at once, pushes later
  net::HttpClient alm_http;
  TokenCache tokens;
  std::vector<std::unique_ptr<TenantRuntime>> tenants;
  Permits push_permits;  // one per connection: a package holds it while on the wire
  Pusher pusher;
  LandscapeClient landscape;
  std::optional<Recorder> recorder;
  EngineState state;
  // The event services active at some tenant: the push workers claim from them in turn (and the
  // outbox takes the tenants in turn).
  std::vector<Service> active_services;
  Signal work;                           // new claimable events, a settled package, a lifted pause
  std::map<JobKey, Signal> job_wakeups;  // ticks and stop
  std::map<JobKey, bool> tick_requested;
  bool retry_round = false;      // the retry job said: due retryable events may go
  std::uint64_t retry_runs = 0;  // retry job runs so far
  bool probe_allowed = false;    // while paused: one package may test whether the cause is gone
  std::size_t next_claim = 0;    // round robin among active_services
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

  const TenantRuntime* tenant(const std::string& name) const;
  TenantRuntime* tenant(const std::string& name);
  milliseconds run_every(const JobKey& key) const;
  std::string job_label(const JobKey& key) const;  // "S4D~080 export", "retry"

  asio::awaitable<void> job_loop(TenantRuntime* tenant, Job job);

  asio::awaitable<void> run_collect(TenantRuntime& tenant, Job job, JobCounters& counters);

  // The services poll at about the same time, yet each reads the feed up to the head it saw, and
  // the low watermark is the lowest of their cursors: events between the lowest and the highest
  // cursor would wait for the lagging service's next poll (measured: 0.6% of the events waited
  // ~1 s at 1,000 events/s with a 1 s schedule; five minutes with SAP's). So a service behind the
  // highest cursor collects up to it now. A catch-up never goes past that cursor, so it raises
  // nothing: catch-ups follow a scheduled poll, at most one per lagging service.
  asio::awaitable<void> catch_up_lagging(TenantRuntime& tenant);

  asio::awaitable<void> catch_up(TenantRuntime& tenant, Service service, std::int64_t up_to);

  // Events the outbox refused to push (a conflicting eventId, an oversized event): said and counted.
  void dead_at_ingestion(JobCounters& counters, const JobKey& key, const CollectReport& report);

  void fail(JobCounters& counters, const JobKey& key, const std::string& why,
            spdlog::level::level_enum level);

  // The one place an outbox error becomes engine state: damage and disk trouble stop the work (and
  // say so once): true; any other error is the failed operation's alone: false.
  bool outbox_error_to_state(const OutboxError& e);
  // The same, and any other error logged as `where: what`.
  void outbox_failed(const OutboxError& e, std::string_view where);

  // Damage does not heal by itself: collecting and pushing stop for good, the bridge says not ready
  // and what to do, once.
  void outbox_damaged(const std::string& why);

  // False once the outbox is damaged, or its path no longer names the file this bridge writes.
  bool outbox_usable();

  void disk_trouble(const std::string& why);

  // While the outbox cannot write: a small write every second. The first that succeeds ends the
  // trouble, and the packages whose answers could not be settled go back to the outbox at once
  // (no attempt spent; Cloud ALM deduplicates what it has already).
  asio::awaitable<void> disk_watch();

  // Rescued events count a failed attempt: retried after the backoff (Cloud ALM deduplicates), or
  // dead-lettered once the retry policy gives up on them.
  void log_rescue(const RescueResult& rescued, std::string_view what);

  asio::awaitable<void> run_retry(JobCounters& counters);

  // Systems paused because Cloud ALM did not know them: registered meanwhile? Then their events go.
  asio::awaitable<void> probe_paused_systems();

  std::vector<std::string> excluded_systems() const;

  // ---- push workers -----------------------------------------------------------------------------

  // The claims to try, in order: each service's pending events (round robin), then, in a retry
  // round, due retryable ones. Built here; the outbox thread runs them and never sees engine state.
  std::vector<ClaimRequest> claim_requests(EpochMillis now) const;

  // On the outbox thread: the first request that leases events wins (its index and package).
  std::pair<std::size_t, ClaimedPackage> claim_first(Outbox& outbox, std::vector<ClaimRequest>& requests);

  asio::awaitable<std::optional<ClaimedPackage>> claim_next(EpochMillis now);

  // Claims the next package, or nothing (nothing due, or the outbox failed: said in the log).
  asio::awaitable<std::optional<ClaimedPackage>> claim_or_nothing(EpochMillis now);

  // A package claimed ahead that will not go now returns to the outbox as it was: no attempt spent.
  asio::awaitable<void> give_back(std::optional<ClaimedPackage>* ahead);

  // Pushes `package` and meanwhile claims the worker's next one into `ahead`: the outbox thread
  // prepares the next package during the round trip instead of idling through it (bench/e2e.sh).
  asio::awaitable<void> push_and_claim_ahead(ClaimedPackage* package, bool from_retry,
                                             std::optional<ClaimedPackage>* ahead);

  asio::awaitable<void> worker();

  asio::awaitable<void> push(ClaimedPackage package, bool from_retry, bool probing);
  // What the pusher hands back for each request's events, settled in the outbox under the
  // package's lease (on the outbox thread): the one place the bridge settles a push.
  SettleFn settle_in_outbox(std::int64_t lease_token);

  void log_package(const std::string& tenant_name, Service service, std::size_t size,
                   const PushOutcome& outcome);
  void account(const std::string& tenant, Service service, std::size_t size, const PushOutcome& outcome,
               bool from_retry, bool probing);

  void update_breaker(const PushOutcome& outcome);

  void update_pause(const PushOutcome& outcome, bool probing);
};

}  // namespace ato::bridge
