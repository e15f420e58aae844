#include "bridge/runtime/engine/push_workers.hpp"

#include <algorithm>
#include <map>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <boost/asio/deferred.hpp>
#include <boost/asio/experimental/parallel_group.hpp>

#include "bridge/runtime/outbox_view.hpp"

namespace ato::bridge {

namespace {
std::vector<std::string> excluded_systems(const EngineState& state) {
  std::vector<std::string> out;
  for (const auto& [system, why] : state.paused_systems) out.push_back(system);
  return out;
}
}  // namespace

PushWorkers::PushWorkers(EngineCore& core, Health& health, Pusher& pusher, TokenCache& tokens)
    : core_(core), health_(health), pusher_(pusher), tokens_(tokens) {
  for (const auto& t : core.config.tenants) {
    tenant_services_.emplace_back(t.name, active_services(t));
    for (Service s : tenant_services_.back().second)
      if (std::find(active_services_.begin(), active_services_.end(), s) == active_services_.end())
        active_services_.push_back(s);
  }
}

void PushWorkers::start() {
  // Two workers per connection: while one settles its answer in the outbox (a wait behind the
  // outbox thread's queue and commit), the other's package is on the wire. One worker per
  // connection left the connection idle meanwhile: 8 connections drained a 1M backlog ~7% faster
  // than 4 (bench/README.md).
  for (int i = 0; i < 2 * core_.config.push.connections; ++i) core_.spawn(worker(), "a push worker");
}

void PushWorkers::open_retry_round() {
  retry_round_ = true;
  ++retry_runs_;
}

milliseconds PushWorkers::lease() const {
  return std::max<milliseconds>(std::chrono::minutes(2), core_.config.push.timeout * 6);
}

// A package is one tenant's (its arrangement pushes it, to its paths). One request per service:
// the outbox takes the tenants in turn, each with its own package size (from the configuration) and
// low watermark (read from the outbox's cursors at the claim, on the outbox thread): values, so the
// outbox never calls back into the engine.
std::vector<ClaimRequest> PushWorkers::claim_requests(EpochMillis now) const {
  std::vector<ClaimRequest> requests;
  const auto excluded = excluded_systems(core_.state);
  const auto request = [&](Service service, ClaimFrom from) {
    ClaimRequest r{service, from, 0, now, lease(), kMaxSequence, {}, {}, {}, excluded};
    for (const auto& t : core_.config.tenants) {
      const auto& settings = settings_of(t, job_of(service));
      r.max_events_of[t.name] = !settings.active               ? 0
                                : from == ClaimFrom::Retryable ? core_.config.retry_service.package_size
                                                               : settings.package_size;
    }
    return r;  // watermark_of: filled on the outbox thread, at the claim (claim_first)
  };
  const std::size_t n = active_services_.size();
  for (std::size_t i = 0; i < n; ++i)
    requests.push_back(request(active_services_[(next_claim_ + i) % n], ClaimFrom::Pending));
  if (retry_round_ && core_.config.retry_service.active)
    for (Service service : active_services_) requests.push_back(request(service, ClaimFrom::Retryable));
  return requests;
}

std::pair<std::size_t, ClaimedPackage> PushWorkers::claim_first(std::vector<ClaimRequest>& requests) {
  std::map<std::string, std::int64_t> watermarks;
  for (const auto& [tenant, services] : tenant_services_)
    watermarks[tenant] = core_.outbox.low_watermark(tenant, services);
  for (auto& r : requests) r.watermark_of = watermarks;
  for (std::size_t i = 0; i < requests.size(); ++i) {
    ClaimedPackage package = core_.outbox.claim(requests[i]);
    if (!package.events.empty()) return {i, std::move(package)};
  }
  return {requests.size(), {}};
}

asio::awaitable<std::optional<ClaimedPackage>> PushWorkers::claim_next(EpochMillis now) {
  if (active_services_.empty()) co_return std::nullopt;
  std::vector<ClaimRequest> requests = claim_requests(now);
  const auto retry_runs_before = retry_runs_;
  auto claimed = co_await core_.outbox_thread.run([&] { return claim_first(requests); });
  const std::size_t index = claimed.first;
  const std::size_t n = active_services_.size();
  if (index < n) {
    next_claim_ = (next_claim_ + index + 1) % n;
    co_return std::move(claimed.second);
  }
  if (index < requests.size()) co_return std::move(claimed.second);  // the retry job's (package.from)
  // Nothing due: no retry round until the retry job's next run (unless it ran meanwhile).
  if (requests.size() > n && retry_runs_ == retry_runs_before) retry_round_ = false;
  co_return std::nullopt;
}

asio::awaitable<std::optional<ClaimedPackage>> PushWorkers::claim_or_nothing(EpochMillis now) {
  std::optional<ClaimedPackage> claimed;
  try {
    claimed = co_await claim_next(now);  // (GCC 12 mishandles `co_return co_await` inside a try)
  } catch (const OutboxError& e) {
    health_.outbox_failed(e, "push");
  }
  co_return claimed;
}

asio::awaitable<void> PushWorkers::give_back(std::optional<ClaimedPackage>* ahead) {
  if (!*ahead) co_return;
  const ClaimedPackage package = std::move(**ahead);
  ahead->reset();
  std::vector<Settlement> back;
  back.reserve(package.events.size());
  for (const auto& e : package.events) back.push_back(Settlement::release(e.id));
  try {
    co_await core_.outbox_thread.run([&] {
      return core_.outbox.settle(package.lease_token, back, now_epoch_millis(), core_.config.retry_policy);
    });
  } catch (const OutboxError& e) {
    health_.settle_failed(e, package.lease_token, "push: could not return a package to the outbox");
  }
  core_.work.notify();
}

asio::awaitable<void> PushWorkers::push_and_claim_ahead(ClaimedPackage* package,
                                                        std::optional<ClaimedPackage>* ahead) {
  const auto executor = co_await asio::this_coro::executor;
  auto [order, push_error, claim_error, claimed] =
      co_await asio::experimental::make_parallel_group(
          asio::co_spawn(executor, push(std::move(*package), false), asio::deferred),
          asio::co_spawn(executor, claim_or_nothing(now_epoch_millis()), asio::deferred))
          .async_wait(asio::experimental::wait_for_all(), asio::use_awaitable);
  *ahead = std::move(claimed);
  if (push_error) std::rethrow_exception(push_error);
  if (claim_error) std::rethrow_exception(claim_error);
}

asio::awaitable<void> PushWorkers::worker() {
  EngineCore::Alive alive(core_);
  std::optional<ClaimedPackage> ahead;  // claimed while the previous package was on the wire
  while (!core_.state.stopping) {
    const auto seen = core_.work.generation();
    const EpochMillis now = now_epoch_millis();
    if (core_.state.outbox_damaged) {  // nothing can be claimed or settled; a lease claimed ahead expires
      ahead.reset();
      co_await core_.work.wait(seen, kIdlePoll);
      continue;
    }
    if (core_.state.disk_trouble) {  // a package claimed ahead waits with its worker; the disk watch wakes it
      co_await core_.work.wait(seen, kIdlePoll);
      continue;
    }
    if (core_.state.paused && !probe_allowed_) {
      co_await give_back(&ahead);
      co_await core_.work.wait(seen, kIdlePoll);
      continue;
    }
    // The probe is taken before the claim: other workers run while this one waits for the outbox
    // thread, and each would otherwise see the probe still allowed and send a package of its own.
    const bool probe_taken = core_.state.paused.has_value();
    if (probe_taken) probe_allowed_ = false;
    if (!core_.state.breaker.would_allow(now)) {
      co_await give_back(&ahead);
      const auto until = core_.state.breaker.state() == CircuitBreaker::State::Open
                             ? milliseconds(core_.state.breaker.reopens_at() - now)
                             : kIdlePoll;
      co_await core_.work.wait(seen, std::min(until, kIdlePoll));
      continue;
    }
    std::optional<ClaimedPackage> package = std::exchange(ahead, std::nullopt);
    if (!package) package = co_await claim_or_nothing(now);
    if (!package) {
      if (probe_taken && core_.state.paused) probe_allowed_ = true;  // nothing to probe with: the next may
      co_await core_.work.wait(seen, kIdlePoll);
      continue;
    }
    const bool probing = core_.state.paused.has_value();
    probe_allowed_ = false;
    core_.state.breaker.allow(now_epoch_millis());
    if (probing)  // a probe goes alone: nothing is claimed behind it
      co_await push(std::move(*package), probing);
    else
      co_await push_and_claim_ahead(&*package, &ahead);
  }
  co_await give_back(&ahead);  // stopping: what was claimed ahead goes back untouched
}

SettleFn PushWorkers::settle_in_outbox(std::int64_t lease_token) {
  return [this, lease_token](const std::vector<ClaimedEvent>& events, const PushVerdict& verdict,
                             PushOutcome& outcome) -> asio::awaitable<void> {
    const auto result = co_await core_.outbox_thread.run([&] {
      return core_.outbox.settle(lease_token, verdict.settlements, now_epoch_millis(),
                                 core_.config.retry_policy);
    });
    outcome.settled += result;
    for (std::size_t i = 0; i < verdict.settlements.size() && i < events.size(); ++i)
      if (verdict.settlements[i].kind == Settlement::Kind::Done)
        outcome.done_enqueued_at.push_back(events[i].enqueued_at);
  };
}

asio::awaitable<void> PushWorkers::push(ClaimedPackage package, bool probing) {
  const bool from_retry = package.from == ClaimFrom::Retryable;
  const Service service = package.events.front().service;
  const std::string tenant_name = package.tenant;
  const std::size_t size = package.events.size();
  const std::int64_t lease_token = package.lease_token;
  PushOutcome outcome;
  struct OnTheWire {  // counted while the push is awaited, however it ends
    std::int64_t& count;
    std::int64_t size;
    ~OnTheWire() { count -= size; }
  } on_the_wire{core_.state.events_being_pushed, static_cast<std::int64_t>(size)};
  core_.state.events_being_pushed += on_the_wire.size;
  try {
    outcome = co_await pusher_.send(package.tenant, std::move(package.events), settle_in_outbox(lease_token));
  } catch (const OutboxError& e) {
    health_.settle_failed(e, lease_token, "push");
    co_return;
  }
  account(tenant_name, service, size, outcome, from_retry, probing);
}

// A package's result: a warning when events failed, debug otherwise; in JSON lines with the tenant,
// service, HTTP status and counts as fields of their own.
void PushWorkers::log_package(const std::string& tenant_name, Service service, std::size_t size,
                              const PushOutcome& outcome) {
  const auto what = fmt::format("{} {} package of {} events", tenant_name, to_string(service), size);
  const auto log = [&](spdlog::level::level_enum level, const std::string& message) {
    if (!spdlog::should_log(level)) return;
    log_with_fields(level,
                    {{"tenant", tenant_name},
                     {"service", name_of(kJobNames, job_of(service))},
                     {"events", static_cast<std::int64_t>(size)},
                     {"http_status", outcome.last_status},
                     {"accepted", outcome.accepted},
                     {"duplicates", outcome.duplicates},
                     {"rejected", outcome.rejected},
                     {"retried", outcome.settled.retryable},
                     {"dead", outcome.settled.dead}},
                    message);
  };
  if (outcome.settled.dead > 0)
    log(spdlog::level::warn,
        fmt::format("{}: {} events dead-lettered: {} (see `ato-bridge dead-letters list`)", what,
                    outcome.settled.dead, outcome.problem));
  if (outcome.settled.retryable > 0)
    log(spdlog::level::warn, fmt::format("{}: {} events will be retried by the retry job: {}", what,
                                         outcome.settled.retryable, outcome.problem));
  log(spdlog::level::debug,
      fmt::format("{}: HTTP {}, {} accepted, {} duplicates, {} rejected", what, outcome.last_status,
                  outcome.accepted, outcome.duplicates, outcome.rejected));
}

void PushWorkers::account(const std::string& tenant_name, Service service, std::size_t size,
                          const PushOutcome& outcome, bool from_retry, bool probing) {
  const EpochMillis now = now_epoch_millis();
  for (JobCounters* c : {&core_.state.jobs[{tenant_name, job_of(service)}],
                         from_retry ? &core_.state.jobs[retry_job()] : nullptr}) {
    if (!c) continue;
    ++c->packages;
    c->accepted += outcome.accepted;
    c->duplicates += outcome.duplicates;
    c->rejected += outcome.rejected;
    c->retried += outcome.settled.retryable;
    c->dead_lettered += outcome.settled.dead;
    c->released += outcome.settled.released;
    if (outcome.settled.done > 0) c->at.last_push_ok = now;
  }
  core_.state.cloud_alm.requests_by_status[outcome.last_status] += outcome.requests;
  for (auto latency : outcome.request_latencies) core_.state.cloud_alm.push_latency.record(latency);
  for (EpochMillis enqueued : outcome.done_enqueued_at)
    core_.state.cloud_alm.acceptance_latency.record(std::chrono::milliseconds(now - enqueued));
  if (outcome.answer_unknown_fields > 0 && core_.state.cloud_alm.answer_unknown_fields == 0)
    spdlog::info(
        "Cloud ALM's push answers carry fields the contract does not name: ignored, counted in "
        "ato_bridge_answer_unknown_fields_total");
  core_.state.cloud_alm.answer_unknown_fields += outcome.answer_unknown_fields;
  core_.state.cloud_alm.token_fetches = tokens_.fetches();
  core_.state.cloud_alm.token_failures = tokens_.failures();
  if (!outcome.token_problem.empty())
    core_.state.cloud_alm.token_trouble = outcome.token_problem;
  else if (outcome.requests > 0)
    core_.state.cloud_alm.token_trouble.reset();
  health_.update_breaker(outcome);
  health_.update_pause(outcome, probing);
  for (const auto& system : outcome.unregistered_systems) {
    if (core_.state.paused_systems.count(system)) continue;
    const std::string why = fmt::format(
        "Cloud ALM's Landscape Management does not know {} ({}); its events stay "
        "queued: register it (ato-bridge register --system {}) and pushing "
        "resumes by itself",
        system, kNotInLmsCode, system);
    log_with_fields(spdlog::level::err, {{"system", system}, {"reason", kNotInLmsCode}},
                    fmt::format("pushing paused for {}: {}", system, why));
    core_.state.paused_systems[system] = why;
    core_.state.paused_system_tenant[system] = tenant_name;
  }
  log_package(tenant_name, service, size, outcome);
  if (outcome.settled.done + outcome.settled.dead + outcome.settled.released > 0) core_.work.notify();
}

}  // namespace ato::bridge
