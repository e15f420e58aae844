// `ato-bridge loadtest`: how fast the configured Cloud ALM (the simulator, or a test tenant) takes
// packages through the bridge's own pusher. See loadtest.cpp and README.md, "Load test".
#pragma once

#include <chrono>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bridge/exit_codes.hpp"

namespace ato::bridge {

inline constexpr std::string_view kLoadtestSystem = "LTS~999";

struct LoadtestOptions {
  std::string config_file;
  std::optional<std::string> from;  // a recording; none: synthetic exports
  std::optional<std::int64_t> events;
  std::optional<std::chrono::milliseconds> duration;
  std::optional<double> rate;        // events/s (open model); none: as fast as the connections allow
  int package_size = 0;              // 0: the export service's package_size
  int connections = 0;               // 0: push.connections
  std::vector<std::string> reports;  // .json and/or .html
  bool allow_remote = false;
  // Synthetic events come from a system of their own, never one of the landscape's, so a load test
  // cannot collide with real transports in a Cloud ALM it shares (its transports are <SID>K9NNNNN of
  // this system, easy to see and to drop). SID~client; refused if it is a configured tenant or system.
  std::string system{kLoadtestSystem};
  // --shard I/N: of the whole run's schedule (every package, in order), this process sends the
  // packages k with k % N == I, each at its place in the schedule; the rate and event count given are
  // the whole run's. Reports of all N shards merge into one (run_loadtest_merge).
  int shard_index = 0, shard_count = 1;
};

int run_loadtest(LoadtestOptions options, std::ostream& out, std::ostream& err);

// `ato-bridge loadtest merge REPORT.json...`: the shards' JSON reports as one report (summary on
// `out`, --report files written); exit code as for a run: 1 when events were not accepted or the
// target rate was not held, 2 when the files are not the shards of one run.
int run_loadtest_merge(const std::vector<std::string>& inputs, const std::vector<std::string>& reports,
                       std::ostream& out, std::ostream& err);

}  // namespace ato::bridge
