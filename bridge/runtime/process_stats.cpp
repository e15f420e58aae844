#include "bridge/runtime/process_stats.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace ato::bridge {

namespace {

// The system's boot time (seconds since the epoch): /proc/self/stat counts a process's start in
// clock ticks since boot.
std::optional<double> boot_time_seconds() {
  std::ifstream stat("/proc/stat");
  std::string key;
  while (stat >> key) {
    if (key == "btime") {
      double btime = 0;
      if (stat >> btime) return btime;
      return std::nullopt;
    }
    stat.ignore(4096, '\n');
  }
  return std::nullopt;
}

double count_open_fds() {
  std::error_code ec;
  double n = 0;
  for (std::filesystem::directory_iterator it("/proc/self/fd", ec), end; !ec && it != end; it.increment(ec))
    ++n;
  return n - 1;  // the directory iterator's own descriptor
}

}  // namespace

std::optional<ProcessStats> read_process_stats() {
  std::ifstream file("/proc/self/stat");
  std::string line;
  if (!std::getline(file, line)) return std::nullopt;
  // The command name (field 2) is in parentheses and may hold spaces: the fields that follow start
  // after the last ')'.
  const auto close = line.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream rest(line.substr(close + 2));
  // Fields 3.. of proc(5): state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt
  // utime(14) stime(15) cutime cstime priority nice num_threads itrealvalue starttime(22) vsize(23)
  // rss(24).
  std::string field;
  double utime = 0, stime = 0, starttime = 0, vsize = 0, rss_pages = 0;
  for (int index = 3; index <= 24 && rest >> field; ++index) {
    try {
      if (index == 14) utime = std::stod(field);
      if (index == 15) stime = std::stod(field);
      if (index == 22) starttime = std::stod(field);
      if (index == 23) vsize = std::stod(field);
      if (index == 24) rss_pages = std::stod(field);
    } catch (const std::exception&) {
      return std::nullopt;
    }
  }
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
  ProcessStats stats;
  stats.cpu_seconds = (utime + stime) / ticks;
  stats.resident_bytes = rss_pages * page;
  stats.virtual_bytes = vsize;
  stats.open_fds = count_open_fds();
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0) stats.max_fds = static_cast<double>(limit.rlim_cur);
  if (const auto boot = boot_time_seconds()) stats.start_time_seconds = *boot + starttime / ticks;
  return stats;
}

}  // namespace ato::bridge
