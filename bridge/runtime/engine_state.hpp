// What a running bridge knows about itself beyond the outbox: per job runs and counters, the
// pause, disk trouble, the circuit breaker, latencies. Plain data, read by status and metrics.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "bridge/config.hpp"
#include "bridge/push/circuit_breaker.hpp"
#include "bridge/runtime/histogram.hpp"
#include "core/event.hpp"

namespace ato::bridge {

// The four outbound services of SAP_COM_0690: three event services and the retry job.
enum class Job { Export, Import, StatusChange, Retry };
inline constexpr EnumNames<Job, 4> kJobNames{{{Job::Export, "export"},
                                              {Job::Import, "import"},
                                              {Job::StatusChange, "status_change"},
                                              {Job::Retry, "retry"}}};
inline constexpr Job job_of(Service s) {
  return s == Service::Export ? Job::Export : s == Service::Import ? Job::Import : Job::StatusChange;
}

// An event job's settings in a tenant's arrangement (not Retry: that is the bridge's one job).
inline const OutboundService& settings_of(const TenantConfig& t, Job job) {
  switch (job) {
    case Job::Export:
      return t.export_service;
    case Job::Import:
      return t.import_service;
    case Job::StatusChange:
    case Job::Retry:
      break;
  }
  return t.status_change_service;
}

// A job of one tenant; the retry job has no tenant (it re-sends every tenant's failed events).
struct JobKey {
  std::string tenant;  // empty for Job::Retry
  Job job = Job::Retry;
  auto operator<=>(const JobKey&) const = default;
};
inline JobKey retry_job() {
  return {"", Job::Retry};
}

// The event service of an event job (not Retry).
inline constexpr Service service_of(Job job) {
  return job == Job::Export ? Service::Export : job == Job::Import ? Service::Import : Service::StatusChange;
}

// When a job ran, runs next, and last succeeded (status and metrics show them).
struct JobTimes {
  std::optional<EpochMillis> last_run, next_run, last_poll_ok, last_push_ok;
};

struct JobCounters {
  std::int64_t runs = 0, failed_runs = 0;
  std::int64_t failed_in_a_row = 0;  // failed runs since the last that succeeded (tenant health)
  std::int64_t collected = 0;        // event services
  std::int64_t catch_up_polls = 0;   // polls between slots that brought it up to the others' cursor
  std::int64_t accepted = 0, duplicates = 0, rejected = 0;  // per-event results of pushed events
  std::int64_t retried = 0, dead_lettered = 0, released = 0;
  std::int64_t packages = 0;
  JobTimes at;
  std::string last_result;         // what the last run did or why it failed
  LatencyHistogram poll_duration;  // event services: one collection run (scheduled or on a tick)
};

// What the bridge saw of Cloud ALM: requests and their answers, tokens, connections, latencies.
struct CloudAlmTraffic {
  std::map<int, std::int64_t> requests_by_status;  // 0: no answer
  std::int64_t token_fetches = 0;
  std::int64_t token_failures = 0;           // token requests that gave no usable token
  std::int64_t answer_unknown_fields = 0;    // fields of Cloud ALM's push answers not in the contract
  std::optional<std::string> token_trouble;  // why no token can be had now (cleared by the next token)
  std::int64_t connections_opened = 0;       // pushes, tokens and Landscape Management calls
  LatencyHistogram push_latency;             // one HTTP request
  LatencyHistogram acceptance_latency;       // collected (stored) to accepted
};

struct EngineState {
  EpochMillis started_at = 0;
  int pid = 0;
  std::map<JobKey, JobCounters> jobs;
  CloudAlmTraffic cloud_alm;
  std::optional<std::string> paused;          // why pushing is paused (403, refused credentials)
  std::optional<std::string> disk_trouble;    // the outbox cannot write
  std::optional<std::string> outbox_damaged;  // malformed, or deleted/replaced while running: for good
  // Tenants' services whose feed head went below their cursor (FeedResetError): not ready until it is
  // back or an operator set the cursor. feed_resets_seen counts each new one.
  std::map<std::pair<std::string, Service>, std::string> feed_resets;
  std::int64_t feed_resets_seen = 0;
  // Events stored as dead letters at ingestion, by reason code (EVENT_ID_CONFLICT, EVENT_TOO_LARGE).
  std::map<std::string, std::int64_t> ingestion_dead;
  // Systems Cloud ALM's Landscape Management does not know: their events wait, nothing else does.
  std::map<std::string, std::string> paused_systems;        // SID~client -> reason
  std::map<std::string, std::string> paused_system_tenant;  // SID~client -> the tenant whose events met it
  CircuitBreaker breaker;
  std::int64_t events_being_pushed = 0;  // in packages on the wire now (what a second signal cancels)
  bool stopping = false;
};

}  // namespace ato::bridge
