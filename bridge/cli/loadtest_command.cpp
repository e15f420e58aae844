// `ato-bridge loadtest` and `loadtest merge`: the command line of the load generator in
// bridge/loadtest/ (which knows nothing of the command line).
#include <memory>
#include <ostream>
#include <sstream>

#include "bridge/cli/command_context.hpp"
#include "bridge/cli/command_spec.hpp"
#include "bridge/loadtest/loadtest.hpp"
#include "core/time.hpp"

namespace ato::bridge {

namespace {

struct LoadtestArgs {
  LoadtestOptions options;
  std::string rate = "max", duration, shard;
};

// "I/N" with 0 <= I < N <= 10000, or why not.
std::string shard_problem(const std::string& v) {
  int i = -1, n = 0;
  char slash = 0, rest = 0;
  std::istringstream in(v);
  if (!(in >> i >> slash >> n) || slash != '/' || in >> rest || n < 1 || n > 10'000 || i < 0 || i >= n)
    return "expected I/N with 0 <= I < N <= 10000 (e.g. 0/4), got '" + v + "'";
  return "";
}

int run(LoadtestArgs& a, CommandContext& c) {
  auto& load = a.options;
  load.config_file = c.config_file;
  if (!a.shard.empty()) {
    const auto slash = a.shard.find('/');
    load.shard_index = std::stoi(a.shard.substr(0, slash));
    load.shard_count = std::stoi(a.shard.substr(slash + 1));
  }
  if (a.rate != "max") {
    try {
      std::size_t used = 0;
      load.rate = std::stod(a.rate, &used);
      if (used != a.rate.size() || *load.rate <= 0) throw std::invalid_argument(a.rate);
    } catch (const std::exception&) {
      c.err << "ato-bridge loadtest: --rate: expected events per second above 0, or max (got '" << a.rate
            << "')\n";
      return kExitUsage;
    }
  }
  if (!a.duration.empty()) load.duration = *parse_duration(a.duration);
  return run_loadtest(load, c.out, c.err);
}

}  // namespace

CommandSpec loadtest_command() {
  auto a = std::make_shared<LoadtestArgs>();
  auto& load = a->options;
  return {
      {"loadtest"},
      "Push packages to the configured Cloud ALM through the bridge's own pusher (TLS, token, "
      "classification,\n"
      "retries) and measure: events/s, packages/s, latency percentiles from each package's intended send\n"
      "time (open model: --rate R schedules arrivals whatever the server does), results per HTTP status "
      "and\n"
      "per event. Touches no outbox. Refuses a target outside this machine unless --allow-remote.",
      {config_option(),
       option("--from", &load.from, "Push the events of this recording (default: synthetic exports)")
           .check(ValueCheck::existing_file()),
       option("--system", &load.system,
              "The system synthetic exports come from (SID~client), never one of the landscape's: "
              "its transports <SID>K9NNNNN are the load test's own, and ato-sim drops them with "
              "DELETE /sim/transports?system=SID~client")
           .with_default(),
       option("--events", &load.events, "How many events (default 10000)")
           .check(ValueCheck::range(1, 1'000'000'000)),
       option("--duration", &a->duration, "Or: push for this long (e.g. 30s)")
           .check(duration_check())
           .excluding("--events"),
       option("--rate", &a->rate, "Events/s as a fixed arrival schedule, or max").with_default(),
       option("--package-size", &load.package_size, "Events per package (default: the export service's)")
           .check(ValueCheck::range(1, 10'000)),
       option("--connections", &load.connections, "Parallel connections (default: push.connections)")
           .check(ValueCheck::range(1, 256)),
       option("--report", &load.reports,
              "Write a report: FILE.json (every figure, per-second timeline) "
              "or FILE.html (charts); repeatable"),
       option("--allow-remote", &load.allow_remote,
              "Allow a Cloud ALM that is not on this machine (synthetic events land in that tenant)"),
       option("--shard", &a->shard,
              "I/N: send every N-th package of the whole run's schedule, from package I (0 <= I < N); "
              "--rate and --events are the whole run's. Merge the N reports with loadtest merge")
           .check(ValueCheck::custom("", shard_problem))},
      [a](CommandContext& c) { return run(*a, c); },
      {}};
}

CommandSpec loadtest_merge_command() {
  struct MergeArgs {
    std::vector<std::string> inputs, reports;
  };
  auto a = std::make_shared<MergeArgs>();
  return {
      {"loadtest", "merge"},
      "Merge the JSON reports of a sharded run (loadtest --shard I/N, every I) into one: counts summed, "
      "latency histograms merged (not percentiles averaged), timelines aligned by start time",
      {option("reports", &a->inputs, "The shards' JSON reports").needed().check(ValueCheck::existing_file()),
       option("--report", &a->reports, "Write the merged report: FILE.json or FILE.html; repeatable")},
      [a](CommandContext& c) { return run_loadtest_merge(a->inputs, a->reports, c.out, c.err); },
      {}};
}

}  // namespace ato::bridge
