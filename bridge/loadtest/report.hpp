// What `ato-bridge loadtest` measured, and its three renderings: the summary on the terminal, the
// JSON report (schema/json/loadtest-report.schema.json) and a self-contained HTML page with charts.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bridge/runtime/histogram.hpp"

namespace ato::bridge {

// Per second of the run, by when a package's sending completed.
struct LoadtestSecond {
  std::int64_t sent = 0;            // events whose package completed in this second (first sends)
  std::int64_t accepted = 0;        // accepted or duplicate
  std::int64_t errors = 0;          // events not accepted (rejected, dead, given up, no answer)
  std::int64_t retried_events = 0;  // events sent again after a retryable answer (429, 503, no answer)
  std::int64_t retry_requests = 0;  // the requests that sent them
  std::map<std::string, std::int64_t> status_codes;  // requests by HTTP status ("none": no answer)
  LatencyHistogram latency;  // corrected: each package's latency from its intended send time
};

// Where a run was measured: a figure means little without the machine that produced it.
struct LoadtestHost {
  std::string name, cpu_model, kernel, ato_bridge;
  int cpus = 0;
};
LoadtestHost this_host();

// What the run was asked for (the report's "settings").
struct LoadtestSettings {
  std::optional<double> rate;  // events/s (a shard's: its share); none: as fast as possible
  int package_size = 0;
  int connections = 0;
  // A duration or an event count (or neither: the default count), and how often a package is
  // retried at most.
  std::optional<double> duration_s;
  std::optional<std::int64_t> events;
  int max_retries = 3;
};

// --shard I/N: this run drove every N-th package from I; a merged report holds merged_from shards.
struct LoadtestShard {
  int index = 0, count = 1;
  int merged_from = 1;
};

// What was sent: events and packages on their first attempt, requests including retries.
struct LoadtestSent {
  std::int64_t events = 0, packages = 0, requests = 0;
};

// Each event's fate (the report's "results").
struct LoadtestResults {
  std::int64_t accepted = 0, duplicates = 0, rejected = 0, failed = 0;
};

// Retries, counted both ways: events sent again, and the requests that carried them (a package of
// 100 refused with 503 and sent again is 1 retry request and 100 retried events).
struct LoadtestRetries {
  std::int64_t events = 0, requests = 0;
};

struct LoadtestLatencies {
  LatencyHistogram corrected;     // wrk2's sense: from each package's intended send time
  LatencyHistogram service_time;  // uncorrected: each request from sent to answered, waits excluded
};

struct LoadtestReport {
  std::string target;  // Cloud ALM host
  std::string started_at;
  std::int64_t started_at_ms = 0;  // the same, as epoch milliseconds: merging aligns shards by it
  std::string source;              // "synthetic" or the recording
  LoadtestSettings settings;
  LoadtestShard shard;
  std::vector<LoadtestHost> hosts;  // one per process (shards merged: each shard's)
  double duration_s = 0;
  LoadtestSent sent;
  LoadtestResults results;
  LoadtestRetries retries;
  std::map<std::string, std::int64_t> status_codes;  // "200", "503", "none"
  std::vector<std::string> first_errors;             // why events were not accepted: the first 5 reasons
  LoadtestLatencies latencies;
  std::vector<LoadtestSecond> timeline;

  double events_per_s() const { return duration_s > 0 ? static_cast<double>(sent.events) / duration_s : 0; }
  double packages_per_s() const {
    return duration_s > 0 ? static_cast<double>(sent.packages) / duration_s : 0;
  }
  // The target rate was held: at least 95% of it achieved (none without a target).
  std::optional<bool> rate_held() const;
};

std::string summary_text(const LoadtestReport& report);
std::string report_json(const LoadtestReport& report);
// A second's p99 is drawn only from this many packages; with fewer it would be its maximum.
inline constexpr std::int64_t kPackagesForP99 = 100;
// One page, no external assets: the JSON inline, charts drawn as SVG by a small script.
std::string report_html(const LoadtestReport& report);

// The headline figures of a JSON report, read strictly (tests and tools comparing runs).
struct LoadtestFigures {
  std::optional<double> target_rate;
  double events_per_s = 0;
  std::int64_t events = 0;
  std::optional<bool> target_rate_held;
  double p50_ms = 0, p99_ms = 0, max_ms = 0;
  std::int64_t accepted = 0, not_accepted = 0;
  std::size_t seconds = 0;  // timeline length
};
LoadtestFigures parse_loadtest_report(std::string_view json);

// A whole JSON report read back (histograms included), for merging. Throws JsonError naming the
// field at fault, or std::invalid_argument for a report without histograms (an older ato-bridge).
LoadtestReport read_loadtest_report(std::string_view json);

// The shards of one sharded run (`loadtest --shard I/N`, I = 0..N-1) as one report: counts summed,
// histograms merged (the merged percentiles are those of every package together, never averages),
// timelines aligned by each shard's start time, the target rate the sum of the shards' shares.
// Throws std::invalid_argument when the reports are not the shards of one run (different package
// sizes, shard counts or targets, a shard missing or given twice).
LoadtestReport merge_loadtest_reports(const std::vector<LoadtestReport>& shards);

}  // namespace ato::bridge
