// A load-test report as the terminal summary and as JSON (schema/json/loadtest-report.schema.json).
#include "bridge/loadtest/report.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <stdexcept>

#include "core/json_writer.hpp"
#include "core/time.hpp"

namespace ato::bridge {

namespace {

double ms(std::chrono::microseconds us) {
  return static_cast<double>(us.count()) / 1000.0;
}

void write_percentiles(JsonWriter& json, const LatencyHistogram& h) {
  json.field("p50", ms(h.quantile(0.5)))
      .field("p75", ms(h.quantile(0.75)))
      .field("p90", ms(h.quantile(0.9)))
      .field("p99", ms(h.quantile(0.99)))
      .field("p99_9", ms(h.quantile(0.999)))
      .field("p99_99", ms(h.quantile(0.9999)))
      .field("max", ms(h.max()))
      .field("mean", h.count() ? h.sum_seconds() * 1000.0 / static_cast<double>(h.count()) : 0.0);
}

// Cumulative counts at bounds 1-2-5 per decade: the distribution chart.
void write_distribution(JsonWriter& json, const LatencyHistogram& h) {
  json.key("latency_distribution").begin_array();
  std::int64_t previous = 0;
  for (double decade = 0.1; decade <= 100000; decade *= 10)
    for (double step : {1.0, 2.0, 5.0}) {
      const double bound_ms = decade * step;
      const auto at_most =
          h.count_at_most(std::chrono::microseconds(static_cast<std::int64_t>(bound_ms * 1000)));
      json.begin_object().field("le_ms", bound_ms).field("count", at_most - previous).end_object();
      previous = at_most;
      if (previous >= h.count()) {
        json.end_array();
        return;
      }
    }
  json.end_array();
}

void write_histogram(JsonWriter& json, const LatencyHistogram& h, const char* key = "latency_histogram") {
  const auto raw = h.raw();
  json.key(key).begin_object().field("sum_us", raw.sum_us).field("max_us", raw.max_us);
  json.key("buckets").begin_array();
  for (const auto& [bucket, count] : raw.buckets)
    json.begin_object().field("b", static_cast<std::int64_t>(bucket)).field("n", count).end_object();
  json.end_array().end_object();
}

// The percentile spectrum (HdrHistogram's view): latency at ever finer percentiles, as far as the
// record count resolves them, then the maximum. Corrected and uncorrected side by side.
void write_spectrum(JsonWriter& json, const LoadtestReport& r) {
  static constexpr double kPercentiles[] = {
      0,    10, 20, 30,    40,   50,    60,   70,     75,    80,     85,    90,     92.5,   95,     96.25,
      97.5, 98, 99, 99.25, 99.5, 99.75, 99.9, 99.925, 99.95, 99.975, 99.99, 99.995, 99.999, 99.9995};
  json.key("latency_spectrum").begin_array();
  const auto count = r.latencies.corrected.count();
  for (const double p : kPercentiles) {
    if (p > 0 && 1.0 / (1.0 - p / 100.0) > static_cast<double>(count)) break;  // finer than the records
    json.begin_object()
        .field("percentile", p)
        .field("latency_ms", ms(r.latencies.corrected.quantile(p / 100.0)))
        .field("service_time_ms", ms(r.latencies.service_time.quantile(p / 100.0)))
        .end_object();
  }
  json.begin_object()
      .field("percentile", 100.0)
      .field("latency_ms", ms(r.latencies.corrected.max()))
      .field("service_time_ms", ms(r.latencies.service_time.max()))
      .end_object();
  json.end_array();
}

void write_status_codes(JsonWriter& json, const std::map<std::string, std::int64_t>& codes) {
  json.key("status_codes").begin_object();
  for (const auto& [status, n] : codes) json.field(status, n);
  json.end_object();
}

std::string host_line(const LoadtestHost& h) {
  return fmt::format("{}, {} CPU(s){}, Linux {}, ato-bridge {}", h.name, h.cpus,
                     h.cpu_model.empty() ? "" : " (" + h.cpu_model + ")", h.kernel, h.ato_bridge);
}

}  // namespace

std::optional<bool> LoadtestReport::rate_held() const {
  if (!settings.rate) return std::nullopt;
  return events_per_s() >= 0.95 * *settings.rate;
}

std::string summary_text(const LoadtestReport& r) {
  std::string out;
  out += fmt::format("load test against {} ({} events, {}), packages of {}, {} connection(s){}\n", r.target,
                     r.sent.events, r.source, r.settings.package_size, r.settings.connections,
                     r.shard.merged_from > 1 ? fmt::format(", merged from {} shards", r.shard.merged_from)
                     : r.shard.count > 1     ? fmt::format(", shard {}/{} (its share of the schedule)",
                                                           r.shard.index, r.shard.count)
                                             : std::string());
  out += fmt::format("  duration      {:.2f} s\n", r.duration_s);
  out +=
      fmt::format("  throughput    {:.0f} events/s, {:.1f} packages/s", r.events_per_s(), r.packages_per_s());
  if (r.settings.rate)
    out +=
        fmt::format("  (target {:.0f} events/s: {})", *r.settings.rate, *r.rate_held() ? "held" : "NOT held");
  out += "\n";
  const auto& h = r.latencies.corrected;
  out += fmt::format(
      "  latency       p50 {:.1f} ms, p90 {:.1f} ms, p99 {:.1f} ms, p99.9 {:.1f} ms, max {:.1f} ms "
      "(corrected: from "
      "each package's intended send time, waits for a connection and for retries included)\n",
      ms(h.quantile(0.5)), ms(h.quantile(0.9)), ms(h.quantile(0.99)), ms(h.quantile(0.999)), ms(h.max()));
  const auto& st = r.latencies.service_time;
  out += fmt::format(
      "  service time  p50 {:.1f} ms, p90 {:.1f} ms, p99 {:.1f} ms, p99.9 {:.1f} ms, max {:.1f} ms "
      "(uncorrected: "
      "each request from sent to answered)\n",
      ms(st.quantile(0.5)), ms(st.quantile(0.9)), ms(st.quantile(0.99)), ms(st.quantile(0.999)),
      ms(st.max()));
  out += fmt::format("  results       {} accepted, {} duplicates, {} rejected, {} failed\n",
                     r.results.accepted, r.results.duplicates, r.results.rejected, r.results.failed);
  out += fmt::format(
      "  retries       {} retry requests re-sent {} events after retryable answers (at most {} per "
      "package)\n",
      r.retries.requests, r.retries.events, r.settings.max_retries);
  out += fmt::format("  HTTP          {} requests: ", r.sent.requests);
  for (const auto& [status, n] : r.status_codes) out += fmt::format("{}: {}  ", status, n);
  out += "\n";
  for (const auto& error : r.first_errors) out += "  error         " + error + "\n";
  for (const auto& host : r.hosts) out += "  host          " + host_line(host) + "\n";
  return out;
}

std::string report_json(const LoadtestReport& r) {
  std::string out;
  JsonWriter json(out);
  json.begin_object()
      .field("tool", "ato-bridge loadtest")
      .field("target", r.target)
      .field("started_at", r.started_at)
      .field("source", r.source);
  json.key("settings").begin_object().key("rate");
  r.settings.rate ? json.value(*r.settings.rate) : json.value("max");
  json.field("package_size", r.settings.package_size)
      .field("connections", r.settings.connections)
      .key("duration_s");
  r.settings.duration_s ? json.value(*r.settings.duration_s) : json.null();
  json.key("events");
  r.settings.events ? json.value(*r.settings.events) : json.null();
  json.field("max_retries", r.settings.max_retries).end_object();
  json.key("hosts").begin_array();
  for (const auto& h : r.hosts) {
    json.begin_object().field("cpus", h.cpus).field("ato_bridge", h.ato_bridge);
    // What the machine does not say is left out (a container may not say its CPU model).
    for (const auto& [key, value] :
         {std::pair{"name", &h.name}, {"cpu_model", &h.cpu_model}, {"kernel", &h.kernel}})
      if (!value->empty()) json.field(key, *value);
    json.end_object();
  }
  json.end_array();
  json.key("shard").begin_object().field("index", r.shard.index).field("count", r.shard.count);
  if (r.shard.merged_from > 1) json.field("merged_from", r.shard.merged_from);
  json.end_object();
  json.field("duration_s", r.duration_s)
      .field("events", r.sent.events)
      .field("packages", r.sent.packages)
      .field("requests", r.sent.requests)
      .field("events_per_s", r.events_per_s())
      .field("packages_per_s", r.packages_per_s())
      .key("target_rate_held");
  r.rate_held() ? json.value(*r.rate_held()) : json.null();
  json.key("latency_ms").begin_object();
  write_percentiles(json, r.latencies.corrected);
  json.end_object();
  json.key("results")
      .begin_object()
      .field("accepted", r.results.accepted)
      .field("duplicate", r.results.duplicates)
      .field("rejected", r.results.rejected)
      .field("failed", r.results.failed)
      .end_object();
  json.key("retries")
      .begin_object()
      .field("requests", r.retries.requests)
      .field("events", r.retries.events)
      .end_object();
  write_status_codes(json, r.status_codes);
  json.key("first_errors").begin_array();
  for (const auto& e : r.first_errors) json.value(e);
  json.end_array();
  write_distribution(json, r.latencies.corrected);
  write_histogram(json, r.latencies.corrected);
  json.key("service_time_ms").begin_object();
  write_percentiles(json, r.latencies.service_time);
  json.end_object();
  write_histogram(json, r.latencies.service_time, "service_time_histogram");
  write_spectrum(json, r);
  json.key("timeline").begin_array();
  for (std::size_t i = 0; i < r.timeline.size(); ++i) {
    const auto& s = r.timeline[i];
    json.begin_object()
        .field("second", static_cast<std::int64_t>(i))
        .field("sent", s.sent)
        .field("accepted", s.accepted)
        .field("errors", s.errors)
        .field("packages", s.latency.count())
        .field("retried_events", s.retried_events)
        .field("retry_requests", s.retry_requests);
    write_status_codes(json, s.status_codes);
    json.key("latency_ms").begin_object();
    write_percentiles(json, s.latency);
    json.end_object();
    write_histogram(json, s.latency);
    json.end_object();
  }
  json.end_array().end_object();
  return out;
}

}  // namespace ato::bridge
