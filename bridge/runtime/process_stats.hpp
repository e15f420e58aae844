// What Prometheus client libraries export as process_* metrics, read from /proc/self: the bridge's
// memory, CPU time, file descriptors and start time. Linux only, as the bridge is.
#pragma once

#include <optional>

namespace ato::bridge {

struct ProcessStats {
  double cpu_seconds = 0;     // user + system
  double resident_bytes = 0;  // RSS
  double virtual_bytes = 0;
  double open_fds = 0;
  double max_fds = 0;             // the soft limit (RLIMIT_NOFILE)
  double start_time_seconds = 0;  // since the Unix epoch
};

// Empty when /proc cannot be read (e.g. a container without /proc): the metrics are then left out.
std::optional<ProcessStats> read_process_stats();

}  // namespace ato::bridge
