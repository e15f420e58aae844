// The export, import and status-change jobs of every tenant: collect the feed into the outbox, catch
// a lagging service up to the others, count and say what was stored or refused, and wake the push
// workers. With `run --record`, the recorder appends what was committed.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "bridge/collect/collector.hpp"
#include "bridge/runtime/engine/engine_core.hpp"
#include "bridge/runtime/engine/health.hpp"
#include "bridge/runtime/recorder.hpp"

namespace ato::bridge {

// One tenant's SAP_COM_0690 arrangement at run time: its feed, its collector and its event jobs. A
// tenant's trouble (401, unreachable, upgrade window, a reset feed) stays in its own jobs.
struct TenantRuntime {
  TenantRuntime(const TenantConfig& config, net::HttpClient& http, CollectedStore store, bool backfill,
                CollectorHooks hooks, int max_pages_per_run);
  const TenantConfig& config;
  FeedClient feed;
  Collector collector;
  std::vector<Service> active_services;
  std::set<Service> collecting;  // a poll or catch-up of these services is running
};

class CollectionJobs {
 public:
  CollectionJobs(EngineCore& core, Health& health, net::HttpClient& feed_http,
                 const std::optional<std::filesystem::path>& record);

  // One run of a tenant's event job (export, import or status change).
  asio::awaitable<void> run(const std::string& tenant, Job job, JobCounters& counters);

 private:
  TenantRuntime& tenant(const std::string& name);
  // A tenant's collected pages go to the outbox, on the outbox thread.
  CollectedStore store_for(const std::string& tenant);
  // A page of events is committed to the outbox: record it, then wake the pushers.
  void stored();
  asio::awaitable<void> record_committed();

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

  EngineCore& core_;
  Health& health_;
  std::optional<Recorder> recorder_;
  std::vector<std::unique_ptr<TenantRuntime>> tenants_;
};

}  // namespace ato::bridge
