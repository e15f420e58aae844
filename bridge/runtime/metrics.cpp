#include "bridge/runtime/metrics.hpp"

#include <fmt/format.h>

#include <filesystem>

#include "bridge/runtime/process_stats.hpp"
#include "bridge/runtime/status.hpp"

namespace ato::bridge {

namespace {

class Exposition {
 public:
  explicit Exposition(std::string& out) : out_(out) {}

  void family(std::string_view name, std::string_view type, std::string_view help) {
    out_ += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
  }
  void sample(std::string_view name, std::string_view labels, double value) {
    if (labels.empty())
      out_ += fmt::format("{} {}\n", name, value);
    else
      out_ += fmt::format("{}{{{}}} {}\n", name, labels, value);
  }
  void histogram(std::string_view name, std::string_view help, const LatencyHistogram& h) {
    family(name, "histogram", help);
    histogram_samples(name, "", h);
  }
  // One labelled histogram of a family already announced with family(name, "histogram", help).
  void histogram_samples(std::string_view name, std::string_view labels, const LatencyHistogram& h) {
    static constexpr double kBounds[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                         0.25,  0.5,    1,     2.5,  5,     10,   30};
    const std::string prefix = labels.empty() ? std::string() : std::string(labels) + ",";
    for (double bound : kBounds)
      sample(fmt::format("{}_bucket", name), fmt::format("{}le=\"{}\"", prefix, bound),
             static_cast<double>(
                 h.count_at_most(std::chrono::microseconds(static_cast<std::int64_t>(bound * 1e6)))));
    sample(fmt::format("{}_bucket", name), prefix + "le=\"+Inf\"", static_cast<double>(h.count()));
    sample(fmt::format("{}_sum", name), labels, h.sum_seconds());
    sample(fmt::format("{}_count", name), labels, static_cast<double>(h.count()));
  }

 private:
  std::string& out_;
};

// Labels of a job: its tenant (empty for the retry job, which serves every tenant) and service.
std::string job_label(const JobKey& key) {
  return fmt::format("tenant=\"{}\",service=\"{}\"", key.tenant, name_of(kJobNames, key.job));
}

template <typename F>
void per_job(Exposition& x, const EngineState& s, std::string_view name, std::string_view type,
             std::string_view help, F value) {
  x.family(name, type, help);
  for (const auto& [job, counters] : s.jobs) x.sample(name, job_label(job), value(counters));
}

double seconds(const std::optional<EpochMillis>& at) {
  return at ? static_cast<double>(*at) / 1000.0 : 0.0;
}

// The outbox's size on disk: the database and its write-ahead log (what a full disk is made of).
double outbox_file_bytes(const std::filesystem::path& path) {
  double total = 0;
  for (const auto& file : {path, std::filesystem::path(path.string() + "-wal")}) {
    std::error_code ec;
    const auto size = std::filesystem::file_size(file, ec);
    if (!ec) total += static_cast<double>(size);
  }
  return total;
}

// The process_* families every Prometheus client library exports, so standard dashboards work.
void process_metrics(Exposition& x) {
  const auto stats = read_process_stats();
  if (!stats) return;
  struct Family {
    const char* name;
    const char* type;
    const char* help;
    double value;
  };
  for (const Family& f : {
           Family{"process_cpu_seconds_total", "counter", "User and system CPU time spent in seconds.",
                  stats->cpu_seconds},
           Family{"process_resident_memory_bytes", "gauge", "Resident memory size in bytes.",
                  stats->resident_bytes},
           Family{"process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.",
                  stats->virtual_bytes},
           Family{"process_open_fds", "gauge", "Number of open file descriptors.", stats->open_fds},
           Family{"process_max_fds", "gauge", "Maximum number of open file descriptors.", stats->max_fds},
           Family{"process_start_time_seconds", "gauge",
                  "Start time of the process since unix epoch in seconds.", stats->start_time_seconds},
       }) {
    x.family(f.name, f.type, f.help);
    x.sample(f.name, "", f.value);
  }
}

}  // namespace

std::string prometheus_metrics(const OutboxView* outbox, const BridgeConfig& config, const EngineState& s) {
  const std::filesystem::path& outbox_path = config.outbox.path;
  std::string out;
  Exposition x(out);
  const std::string_view p = "ato_bridge_";
  auto n = [&](std::string_view suffix) { return fmt::format("{}{}", p, suffix); };

  x.family(n("build_info"), "gauge", "Always 1; the labels say what is running.");
  x.sample(n("build_info"),
           fmt::format("version=\"{}\",outbox_schema=\"{}\"", ATO_VERSION, Outbox::latest_schema_version()),
           1.0);
  process_metrics(x);

  per_job(x, s, n("events_collected_total"), "counter",
          "Events read from the ATO feed and stored in the outbox.",
          [](const JobCounters& c) { return static_cast<double>(c.collected); });
  per_job(x, s, n("catch_up_polls_total"), "counter",
          "Feed polls between the job's slots that brought it up to another service's cursor.",
          [](const JobCounters& c) { return static_cast<double>(c.catch_up_polls); });
  x.family(n("events_pushed_total"), "counter", "Events Cloud ALM answered, by per-event result.");
  for (const auto& [job, c] : s.jobs) {
    x.sample(n("events_pushed_total"), job_label(job) + ",result=\"accepted\"",
             static_cast<double>(c.accepted));
    x.sample(n("events_pushed_total"), job_label(job) + ",result=\"duplicate\"",
             static_cast<double>(c.duplicates));
    x.sample(n("events_pushed_total"), job_label(job) + ",result=\"rejected\"",
             static_cast<double>(c.rejected));
  }
  per_job(x, s, n("events_retried_total"), "counter",
          "Event deliveries that failed and wait for the retry job.",
          [](const JobCounters& c) { return static_cast<double>(c.retried); });
  per_job(x, s, n("events_dead_lettered_total"), "counter", "Events given up on (kept as dead letters).",
          [](const JobCounters& c) { return static_cast<double>(c.dead_lettered); });
  per_job(x, s, n("runs_failed_total"), "counter", "Job runs that failed (feed or outbox trouble).",
          [](const JobCounters& c) { return static_cast<double>(c.failed_runs); });
  per_job(x, s, n("last_successful_poll_timestamp_seconds"), "gauge",
          "When the job last read the feed completely.",
          [](const JobCounters& c) { return seconds(c.at.last_poll_ok); });
  per_job(x, s, n("last_successful_push_timestamp_seconds"), "gauge",
          "When the job's events were last accepted.",
          [](const JobCounters& c) { return seconds(c.at.last_push_ok); });

  x.family(n("push_requests_total"), "counter", "Push requests by HTTP status (none: no answer).");
  for (const auto& [status, count] : s.cloud_alm.requests_by_status)
    x.sample(n("push_requests_total"), status == 0 ? "status=\"none\"" : fmt::format("status=\"{}\"", status),
             static_cast<double>(count));

  // A damaged outbox cannot be read; the series that come from it are left out, the rest (among them
  // ato_bridge_outbox_damaged) still tell what is going on.
  const StateCounts* counts = outbox ? &outbox->counts : nullptr;
  const auto age = outbox ? outbox->oldest_waiting_age : std::nullopt;
  if (counts) {
    x.family(n("outbox_events"), "gauge", "Events in the outbox by tenant, service and state.");
    for (const auto& [tenant, by_service] : counts->by_tenant)
      for (const auto& [service, states] : by_service)
        for (const auto& [state, count] : states)
          x.sample(n("outbox_events"),
                   fmt::format("{},state=\"{}\"", job_label({tenant, job_of(service)}),
                               name_of(kEventStateNames, state)),
                   static_cast<double>(count));
    x.family(n("oldest_waiting_seconds"), "gauge",
             "Age of the oldest event not yet delivered or dead (0: none).");
    x.sample(n("oldest_waiting_seconds"), "", age ? static_cast<double>(age->count()) / 1000.0 : 0.0);
  }

  x.family(n("outbox_file_bytes"), "gauge", "Size of the outbox on disk: database and write-ahead log.");
  x.sample(n("outbox_file_bytes"), "", outbox_file_bytes(outbox_path));

  x.family(n("feed_poll_seconds"), "histogram",
           "Duration of one collection run: every page read from the ATO feed and stored, failed runs too.");
  for (const auto& [job, counters] : s.jobs)
    if (job.job != Job::Retry)
      x.histogram_samples(n("feed_poll_seconds"), job_label(job), counters.poll_duration);
  x.histogram(n("push_latency_seconds"), "Duration of one push request to Cloud ALM.",
              s.cloud_alm.push_latency);
  x.histogram(n("collection_to_acceptance_seconds"), "From storing an event to Cloud ALM accepting it.",
              s.cloud_alm.acceptance_latency);
  x.family(n("token_fetches_total"), "counter", "OAuth tokens fetched from the token endpoint.");
  x.sample(n("token_fetches_total"), "", static_cast<double>(s.cloud_alm.token_fetches));
  x.family(n("cloud_alm_connections_opened_total"), "counter",
           "HTTPS connections opened to Cloud ALM; kept alive and reused, at most push.connections at once "
           "for pushes.");
  x.sample(n("cloud_alm_connections_opened_total"), "", static_cast<double>(s.cloud_alm.connections_opened));
  x.family(n("circuit_breaker_state"), "gauge", "1 for the breaker's current state.");
  for (auto state :
       {CircuitBreaker::State::Closed, CircuitBreaker::State::HalfOpen, CircuitBreaker::State::Open})
    x.sample(n("circuit_breaker_state"), fmt::format("state=\"{}\"", to_string(state)),
             s.breaker.state() == state ? 1.0 : 0.0);
  x.family(n("paused"), "gauge", "1 while pushing is paused by a configuration problem (e.g. 403).");
  x.sample(n("paused"), "", s.paused ? 1.0 : 0.0);
  x.family(n("systems_paused"), "gauge",
           "Systems whose events wait: not registered in Landscape Management.");
  x.sample(n("systems_paused"), "", static_cast<double>(s.paused_systems.size()));
  x.family(n("tenant_healthy"), "gauge",
           "0 while a tenant has a problem of its own (its feed fails or was reset, its systems are unknown "
           "to Landscape Management); /status names it. The other tenants go on.");
  for (const auto& [tenant, problems] : tenant_problems(s, config))
    x.sample(n("tenant_healthy"), fmt::format("tenant=\"{}\"", tenant), problems.empty() ? 1.0 : 0.0);
  x.family(n("disk_trouble"), "gauge", "1 while the outbox cannot write (disk full, I/O error).");
  x.sample(n("disk_trouble"), "", s.disk_trouble ? 1.0 : 0.0);
  x.family(n("outbox_damaged"), "gauge",
           "1 once the outbox is found damaged, or deleted or replaced while running: nothing heals it but a "
           "restart "
           "with a sound outbox.");
  x.sample(n("outbox_damaged"), "", s.outbox_damaged ? 1.0 : 0.0);
  x.family(n("feed_reset"), "gauge",
           "1 while the ATO feed's head is below the service's cursor (the feed was reset or replaced).");
  for (const auto& [key, counters] : s.jobs)
    if (key.job != Job::Retry)
      x.sample(n("feed_reset"), job_label(key),
               s.feed_resets.count({key.tenant, service_of(key.job)}) ? 1.0 : 0.0);
  x.family(n("feed_resets_total"), "counter", "Times a service found the feed's head below its cursor.");
  x.sample(n("feed_resets_total"), "", static_cast<double>(s.feed_resets_seen));
  x.family(n("ingestion_dead_letters_total"), "counter",
           "Events stored as dead letters when collected, never pushed, by reason.");
  for (std::string_view reason : {kEventIdConflict, kEventTooLarge}) {
    const auto it = s.ingestion_dead.find(std::string(reason));
    x.sample(n("ingestion_dead_letters_total"), fmt::format("reason=\"{}\"", reason),
             it == s.ingestion_dead.end() ? 0.0 : static_cast<double>(it->second));
  }
  x.family(n("answer_unknown_fields_total"), "counter",
           "Fields in Cloud ALM's push answers that the contract does not name: ignored, not a failure.");
  x.sample(n("answer_unknown_fields_total"), "", static_cast<double>(s.cloud_alm.answer_unknown_fields));
  x.family(n("token_failures_total"), "counter",
           "Token requests that gave no usable token (refused, unreachable, unusable answer).");
  x.sample(n("token_failures_total"), "", static_cast<double>(s.cloud_alm.token_failures));
  return out;
}

}  // namespace ato::bridge
