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

struct LoadtestSecond {
  std::int64_t sent = 0;      // events whose package completed in this second
  std::int64_t accepted = 0;  // accepted or duplicate
  std::int64_t errors = 0;    // events not accepted (rejected, dead, given up, no answer)
  LatencyHistogram latency;   // package latency from its intended send time
};

struct LoadtestReport {
  std::string target;  // Cloud ALM host
  std::string started_at;
  std::int64_t started_at_ms = 0;        // the same, as epoch milliseconds: merging aligns shards by it
  std::string source;                    // "synthetic" or the recording
  std::optional<double> target_rate;     // events/s (a shard's: its share); none: as fast as possible
  int shard_index = 0, shard_count = 1;  // --shard I/N: this run drove every N-th package from I
  int merged_from = 1;                   // a merged report: how many shard reports it holds
  int package_size = 0;
  int connections = 0;
  double duration_s = 0;
  std::int64_t events = 0, packages = 0, requests = 0, retries = 0;
  std::int64_t accepted = 0, duplicates = 0, rejected = 0, failed = 0;
  std::map<std::string, std::int64_t> status_codes;  // "200", "503", "none"
  std::vector<std::string> first_errors;             // why events were not accepted: the first 5 reasons
  LatencyHistogram latency;
  std::vector<LoadtestSecond> timeline;

  double events_per_s() const { return duration_s > 0 ? static_cast<double>(events) / duration_s : 0; }
  double packages_per_s() const { return duration_s > 0 ? static_cast<double>(packages) / duration_s : 0; }
  // The target rate was held: at least 95% of it achieved (none without a target).
  std::optional<bool> rate_held() const;
};

std::string summary_text(const LoadtestReport& report);
std::string report_json(const LoadtestReport& report);
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
