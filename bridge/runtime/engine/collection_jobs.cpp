#include "bridge/runtime/engine/collection_jobs.hpp"

#include <map>
#include <utility>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "bridge/runtime/outbox_view.hpp"

namespace ato::bridge {

TenantRuntime::TenantRuntime(const TenantConfig& config, net::HttpClient& http, CollectedStore store,
                             bool backfill, CollectorHooks hooks, int max_pages_per_run)
    : config(config),
      feed(http, config.ato),
      collector(config.name, feed, std::move(store), backfill, std::move(hooks), max_pages_per_run),
      active_services(bridge::active_services(config)) {}

CollectionJobs::CollectionJobs(EngineCore& core, Health& health, net::HttpClient& feed_http,
                               const std::optional<std::filesystem::path>& record)
    : core_(core), health_(health) {
  if (record) recorder_.emplace(*record, core.outbox);
  for (const auto& t : core.config.tenants)
    tenants_.push_back(std::make_unique<TenantRuntime>(
        t, feed_http, store_for(t.name), core.config.collect.backfill,
        CollectorHooks{now_epoch_millis, [this] { stored(); }, [this] { return core_.state.stopping; }},
        core.config.collect.max_pages_per_run));
}

TenantRuntime& CollectionJobs::tenant(const std::string& name) {
  for (const auto& t : tenants_)
    if (t->config.name == name) return *t;
  throw std::logic_error("no tenant " + name);  // the schedules run only the configured tenants' jobs
}

CollectedStore CollectionJobs::store_for(const std::string& tenant) {
  Outbox& outbox = core_.outbox;
  OutboxThread& outbox_thread = core_.outbox_thread;
  return {[&outbox, &outbox_thread, tenant](Service service, const std::vector<NewEvent>& events,
                                            std::int64_t cursor) -> asio::awaitable<EnqueueResult> {
            co_return co_await outbox_thread.run(
                [&] { return outbox.enqueue(tenant, service, events, cursor, now_epoch_millis()); });
          },
          [&outbox, &outbox_thread, tenant](Service service) -> asio::awaitable<std::optional<std::int64_t>> {
            co_return co_await outbox_thread.run([&] { return outbox.cursor(tenant, service); });
          }};
}

// The recorder reads the outbox, so on the outbox thread (its one door), and alone, outside any
// group: a group could still roll back what it would read.
void CollectionJobs::stored() {
  if (recorder_) core_.spawn(record_committed(), "the recording");
  core_.work.notify();
}

asio::awaitable<void> CollectionJobs::record_committed() {
  EngineCore::Alive alive(core_);
  co_await core_.outbox_thread.run_alone([this] { recorder_->catch_up(); });
}

asio::awaitable<void> CollectionJobs::run(const std::string& tenant_name, Job job, JobCounters& counters) {
  TenantRuntime& tenant = this->tenant(tenant_name);
  const Service service = service_of(job);
  const JobKey key{tenant.config.name, job};
  const std::string label = job_label(key);
  const auto reset_key = std::pair{tenant.config.name, service};
  if (!health_.outbox_usable()) {
    counters.last_result = "not collecting: the outbox is damaged (" + *core_.state.outbox_damaged + ")";
    co_return;
  }
  if (core_.state.disk_trouble) {  // the disk watch says when writes work again
    counters.last_result = "not collecting: the outbox cannot write (" + *core_.state.disk_trouble + ")";
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
    counters.at.last_poll_ok = now_epoch_millis();
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
    if (core_.state.feed_resets.erase(reset_key) > 0)
      log_with_fields(spdlog::level::info, {{"tenant", key.tenant}, {"service", name_of(kJobNames, job)}},
                      label + ": the ATO feed's head is at or above the cursor again: collecting resumes");
  } catch (const FeedResetError& e) {
    if (!core_.state.feed_resets.count(reset_key)) ++core_.state.feed_resets_seen;
    core_.state.feed_resets[reset_key] = e.what();
    fail(counters, key, e.what(), spdlog::level::err);
  } catch (const FeedError& e) {
    fail(counters, key, e.what(), e.retry_soon() ? spdlog::level::warn : spdlog::level::err);
  } catch (const OutboxError& e) {
    health_.outbox_error_to_state(e);
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
  core_.work.notify();
  co_await catch_up_lagging(tenant);
}

asio::awaitable<void> CollectionJobs::catch_up_lagging(TenantRuntime& tenant) {
  if (tenant.active_services.size() < 2 || core_.state.stopping) co_return;
  std::map<Service, std::optional<std::int64_t>> cursors;
  try {
    cursors = co_await core_.outbox_thread.run([&] {
      std::map<Service, std::optional<std::int64_t>> out;
      for (Service s : tenant.active_services) out[s] = core_.outbox.cursor(tenant.config.name, s);
      return out;
    });
  } catch (const OutboxError&) {
    co_return;  // the scheduled polls go on; the failure is reported where it matters
  }
  // A service without a cursor: the feed was empty at its first run. With backfill it has everything
  // up to the highest still to collect (the feed's first event may have come after its poll);
  // without, its first run has not happened yet and sets the cursor itself.
  const bool from_start = tenant.collector.collects_history();
  std::int64_t highest = 0;
  for (const auto& [service, cursor] : cursors) highest = std::max(highest, cursor.value_or(0));
  for (const auto& [service, cursor] : cursors)
    if ((cursor || from_start) && cursor.value_or(0) < highest && !tenant.collecting.count(service)) {
      tenant.collecting.insert(service);
      core_.spawn(catch_up(tenant, service, highest), "a catch-up collection");
    }
}

asio::awaitable<void> CollectionJobs::catch_up(TenantRuntime& tenant, Service service, std::int64_t up_to) {
  EngineCore::Alive alive(core_);
  bool caught_up = false;
  const JobKey key{tenant.config.name, job_of(service)};
  CollectReport report;  // what was stored counts, also when the catch-up then fails
  try {
    co_await tenant.collector.collect(service, up_to, &report);
    if (report.pages > 0) ++core_.state.jobs[key].catch_up_polls;
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
    health_.outbox_damaged(e.what());
  } catch (const std::exception& e) {  // the next scheduled poll collects them
    log_with_fields(
        spdlog::level::debug,
        {{"tenant", key.tenant}, {"service", name_of(kJobNames, key.job)}, {"error", e.what()}},
        fmt::format("{}: catching up to sequence {} failed: {}", job_label(key), up_to, e.what()));
  }
  JobCounters& counters = core_.state.jobs[key];
  counters.collected += report.collected;
  dead_at_ingestion(counters, key, report);
  tenant.collecting.erase(service);
  if (caught_up) co_await catch_up_lagging(tenant);  // a scheduled poll may have raised the highest meanwhile
  core_.work.notify();
}

void CollectionJobs::dead_at_ingestion(JobCounters& counters, const JobKey& key,
                                       const CollectReport& report) {
  if (report.dead == 0) return;
  counters.dead_lettered += report.dead;
  for (const auto& reason : report.dead_reasons)
    ++core_.state.ingestion_dead[reason.substr(0, reason.find(':'))];
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

void CollectionJobs::fail(JobCounters& counters, const JobKey& key, const std::string& why,
                          spdlog::level::level_enum level) {
  ++counters.failed_runs;
  ++counters.failed_in_a_row;
  counters.last_result = "failed: " + why;
  if (core_.state.stopping) return;
  log_with_fields(level, {{"tenant", key.tenant}, {"service", name_of(kJobNames, key.job)}, {"error", why}},
                  fmt::format("{}: run failed: {}", job_label(key), why));
}

}  // namespace ato::bridge
