#include "bridge/runtime/engine/schedules.hpp"

#include <spdlog/spdlog.h>

namespace ato::bridge {

void Schedules::start() {
  auto& state = core_.state;
  for (const auto& tenant : core_.config.tenants)
    for (Job job : {Job::Export, Job::Import, Job::StatusChange}) {
      const JobKey key{tenant.name, job};
      if (!settings_of(tenant, job).active) {
        state.jobs[key].last_result = "inactive: collects and sends nothing";
        log_with_fields(spdlog::level::info, {{"tenant", tenant.name}, {"service", name_of(kJobNames, job)}},
                        job_label(key) + ": inactive (collects and sends nothing)");
        continue;
      }
      state.jobs[key];  // listed from the start
      core_.spawn(job_loop(key), "a job");
    }
  auto& retry = state.jobs[retry_job()];
  if (core_.config.retry_service.active) {
    core_.spawn(job_loop(retry_job()), "a job");
  } else {
    retry.last_result = "inactive: failed events are not re-sent";
    spdlog::info("retry: inactive (failed events are not re-sent)");
  }
}

int Schedules::tick(Job job, const std::optional<std::string>& tenant) {
  int ticked = 0;
  const auto tick_one = [&](const JobKey& key) {
    tick_requested_[key] = true;
    wakeups_[key].notify();
    ++ticked;
  };
  if (job == Job::Retry) {
    if (core_.config.retry_service.active) tick_one(retry_job());
    return ticked;
  }
  for (const auto& t : core_.config.tenants)
    if ((!tenant || *tenant == t.name) && settings_of(t, job).active) tick_one({t.name, job});
  return ticked;
}

void Schedules::wake_all() {
  for (auto& [job, signal] : wakeups_) signal.notify();
}

milliseconds Schedules::run_every(const JobKey& key) const {
  if (key.job == Job::Retry) return core_.config.retry_service.run_every;
  return settings_of(*core_.config.tenant(key.tenant), key.job).run_every;
}

asio::awaitable<void> Schedules::job_loop(JobKey key) {
  EngineCore::Alive alive(core_);
  const auto& state = core_.state;
  JobCounters& counters = core_.state.jobs[key];
  const milliseconds every = run_every(key);
  EpochMillis next = now_epoch_millis();
  while (!state.stopping) {
    counters.at.next_run = next;
    while (!state.stopping && !tick_requested_[key] && now_epoch_millis() < next) {
      const auto seen = wakeups_[key].generation();
      co_await wakeups_[key].wait(seen, milliseconds(next - now_epoch_millis()));
    }
    if (state.stopping) break;
    const bool scheduled = !tick_requested_[key];
    tick_requested_[key] = false;
    counters.at.last_run = now_epoch_millis();
    ++counters.runs;
    if (key.job == Job::Retry) {
      co_await maintenance_.run_retry(counters);
      co_await maintenance_.probe_paused_systems();
    } else
      co_await collection_.run(key.tenant, key.job, counters);
    // The next slot of the schedule: no drift, and a run that overran skips what it missed.
    if (scheduled) {
      next += every.count();
      const EpochMillis now = now_epoch_millis();
      if (next <= now) next += ((now - next) / every.count() + 1) * every.count();
    }
  }
  counters.at.next_run.reset();
}

}  // namespace ato::bridge
