// When the jobs run: every tenant's active event jobs and the retry job, each on its own schedule
// (run_every: SAP's jobs run every five minutes), at once on start, and at once again on a tick
// (`ato-bridge tick`, POST /tick). A run that overran skips the slots it missed.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "bridge/runtime/engine/collection_jobs.hpp"
#include "bridge/runtime/engine/engine_core.hpp"
#include "bridge/runtime/engine/maintenance.hpp"

namespace ato::bridge {

class Schedules {
 public:
  Schedules(EngineCore& core, CollectionJobs& collection, Maintenance& maintenance)
      : core_(core), collection_(collection), maintenance_(maintenance) {}

  // Starts every active job (each runs once at once); says which are inactive.
  void start();
  // Runs the job now instead of at its next slot, for every tenant or the one named. Returns how many
  // jobs it woke (0: inactive, or no such tenant).
  int tick(Job job, const std::optional<std::string>& tenant);
  // Stopping: every job's wait ends now.
  void wake_all();

 private:
  milliseconds run_every(const JobKey& key) const;
  asio::awaitable<void> job_loop(JobKey key);

  EngineCore& core_;
  CollectionJobs& collection_;
  Maintenance& maintenance_;
  std::map<JobKey, Signal> wakeups_;  // ticks and stop
  std::map<JobKey, bool> tick_requested_;
};

}  // namespace ato::bridge
