// `ato-bridge loadtest`: how fast the configured Cloud ALM (the simulator, or a test tenant) takes
// packages through the bridge's own pusher. See loadtest.cpp and README.md, "Load test".
#pragma once

#include <chrono>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "bridge/cli/commands.hpp"

namespace ato::bridge {

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
};

int run_loadtest(LoadtestOptions options, std::ostream& out, std::ostream& err);

}  // namespace ato::bridge
