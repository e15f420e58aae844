#include "bridge/runtime/status.hpp"

#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>

#include "core/json_writer.hpp"

namespace ato::bridge {

namespace {

void optional_time(JsonWriter& json, std::string_view name, const std::optional<EpochMillis>& at) {
  json.key(name);
  if (at)
    json.value(format_iso8601_utc(*at));
  else
    json.null();
}

void write_states(JsonWriter& json, const std::map<EventState, std::int64_t>& states) {
  json.key("states").begin_object();
  for (const auto& [state, name] : kEventStateNames) {
    auto it = states.find(state);
    json.field(name, it == states.end() ? std::int64_t{0} : it->second);
  }
  json.end_object();
}

// One job: a tenant's event service (`tenant` set) or the bridge's retry job.
void write_job(JsonWriter& json, const BridgeConfig& config, const OutboxView& outbox,
               const StateCounts& counts, const TenantConfig* tenant, Job job, const EngineState* running) {
  const auto& settings = tenant ? settings_of(*tenant, job) : config.retry_service;
  json.begin_object().key("tenant");
  tenant ? json.value(tenant->name) : json.null();
  json.field("name", name_of(kJobNames, job)).field("active", settings.active);
  json.field("run_every", format_duration(settings.run_every)).field("package_size", settings.package_size);
  if (tenant) {
    const Service service = service_of(job);
    json.key("cursor");
    if (auto cursor = outbox.cursor(tenant->name, service))
      json.value(*cursor);
    else
      json.null();
    std::map<EventState, std::int64_t> states;
    if (auto t = counts.by_tenant.find(tenant->name); t != counts.by_tenant.end())
      if (auto it = t->second.find(service); it != t->second.end()) states = it->second;
    write_states(json, states);
  }
  const JobKey key{tenant ? tenant->name : "", job};
  const JobCounters empty;
  const JobCounters& c = running && running->jobs.count(key) ? running->jobs.at(key) : empty;
  optional_time(json, "last_run_at", c.at.last_run);
  optional_time(json, "next_run_at", c.at.next_run);
  optional_time(json, "last_successful_poll_at", c.at.last_poll_ok);
  optional_time(json, "last_successful_push_at", c.at.last_push_ok);
  json.field("last_result", running ? c.last_result : (settings.active ? "bridge not running" : "inactive"));
  json.field("runs", c.runs).field("failed_runs", c.failed_runs);
  if (tenant) json.field("collected", c.collected).field("catch_up_polls", c.catch_up_polls);
  json.field("pushed", c.accepted + c.duplicates + c.rejected)
      .field("accepted", c.accepted)
      .field("duplicates", c.duplicates)
      .field("rejected", c.rejected)
      .field("retried", c.retried)
      .field("dead_lettered", c.dead_lettered);
  json.end_object();
}

}  // namespace

std::map<std::string, std::vector<std::string>> tenant_problems(const EngineState& state,
                                                                const BridgeConfig& config) {
  std::map<std::string, std::vector<std::string>> problems;
  for (const auto& t : config.tenants) problems[t.name];
  for (const auto& [which, why] : state.feed_resets)
    problems[which.first].push_back("ATO feed reset: " + why);
  for (const auto& [key, counters] : state.jobs)
    if (key.job != Job::Retry && counters.failed_in_a_row > 0 && problems.count(key.tenant))
      problems[key.tenant].push_back(fmt::format("{}: {} run(s) in a row {}", name_of(kJobNames, key.job),
                                                 counters.failed_in_a_row, counters.last_result));
  for (const auto& [system, why] : state.paused_systems) {
    const auto it = state.paused_system_tenant.find(system);
    if (it != state.paused_system_tenant.end() && problems.count(it->second))
      problems[it->second].push_back("pushing paused for " + system + ": " + why);
  }
  return problems;
}

std::vector<std::string> not_ready_reasons(const EngineState& state, const BridgeConfig& config) {
  std::vector<std::string> reasons;
  if (state.paused) reasons.push_back("pushing paused: " + *state.paused);
  if (state.outbox_damaged) reasons.push_back("outbox damaged: " + *state.outbox_damaged);
  if (state.disk_trouble) reasons.push_back("outbox disk trouble: " + *state.disk_trouble);
  if (state.cloud_alm.token_trouble)
    reasons.push_back("no OAuth token for Cloud ALM: " + *state.cloud_alm.token_trouble);
  // A system no tenant's package met (it cannot be told whose it is) holds back everyone's events of it.
  for (const auto& [system, why] : state.paused_systems)
    if (!state.paused_system_tenant.count(system))
      reasons.push_back("pushing paused for " + system + ": " + why);
  const auto problems = tenant_problems(state, config);
  const bool every_tenant = !problems.empty() && std::all_of(problems.begin(), problems.end(),
                                                             [](const auto& p) { return !p.second.empty(); });
  if (every_tenant)
    for (const auto& [tenant, list] : problems)
      for (const auto& problem : list) reasons.push_back(fmt::format("tenant {}: {}", tenant, problem));
  return reasons;
}

void write_tenant_problems(JsonWriter& json,
                           const std::map<std::string, std::vector<std::string>>& problems) {
  json.key("tenant_problems").begin_object();
  for (const auto& [tenant, list] : problems) {
    if (list.empty()) continue;
    json.key(tenant).begin_array();
    for (const auto& p : list) json.value(p);
    json.end_array();
  }
  json.end_object();
}

std::string status_json(const BridgeConfig& config, const OutboxView& outbox, const EngineState* running,
                        EpochMillis now) {
  const StateCounts& counts = outbox.counts;
  std::string out;
  JsonWriter json(out);
  json.begin_object().field("running", running != nullptr).field("now", format_iso8601_utc(now));
  if (running) {
    json.field("pid", running->pid).field("started_at", format_iso8601_utc(running->started_at));
    const auto reasons = not_ready_reasons(*running, config);
    json.field("ready", reasons.empty());
    json.key("not_ready_reasons").begin_array();
    for (const auto& r : reasons) json.value(r);
    json.end_array();
    write_tenant_problems(json, tenant_problems(*running, config));
    json.key("paused");
    running->paused ? json.value(*running->paused) : json.null();
    json.key("disk_trouble");
    running->disk_trouble ? json.value(*running->disk_trouble) : json.null();
    json.key("paused_systems").begin_object();
    for (const auto& [system, why] : running->paused_systems) json.field(system, why);
    json.end_object();
    json.field("circuit_breaker", to_string(running->breaker.state()));
    json.field("token_fetches", running->cloud_alm.token_fetches);
    auto ms = [](std::chrono::microseconds us) { return static_cast<double>(us.count()) / 1000.0; };
    const auto& push = running->cloud_alm.push_latency;
    const auto& accept = running->cloud_alm.acceptance_latency;
    json.key("latency_ms")
        .begin_object()
        .field("push_requests", push.count())
        .field("push_p50", ms(push.quantile(0.5)))
        .field("push_p99", ms(push.quantile(0.99)))
        .field("accepted_events", accept.count())
        .field("collection_to_acceptance_p50", ms(accept.quantile(0.5)))
        .field("collection_to_acceptance_p99", ms(accept.quantile(0.99)))
        .field("collection_to_acceptance_max", ms(accept.max()))
        .end_object();
  }
  json.key("outbox").begin_object().field("path", config.outbox.path.string());
  std::map<EventState, std::int64_t> totals;
  for (const auto& [state, name] : kEventStateNames) totals[state] = counts.total(state);
  write_states(json, totals);
  json.key("oldest_waiting_seconds");
  if (const auto& age = outbox.oldest_waiting_age)
    json.value(static_cast<double>(age->count()) / 1000.0);
  else
    json.null();
  json.field("dead_letters", counts.total(EventState::Dead));
  json.end_object();
  json.key("tenants").begin_array();
  for (const auto& t : config.tenants) {
    std::map<EventState, std::int64_t> totals_of_tenant;
    if (auto it = counts.by_tenant.find(t.name); it != counts.by_tenant.end())
      for (const auto& [service, states] : it->second)
        for (const auto& [state, n] : states) totals_of_tenant[state] += n;
    json.begin_object().field("name", t.name).field("feed_url", t.ato.feed_url);
    write_states(json, totals_of_tenant);
    const auto watermark = outbox.low_watermarks.find(t.name);
    json.field("low_watermark",
               watermark == outbox.low_watermarks.end() ? std::int64_t{0} : watermark->second)
        .end_object();
  }
  json.end_array();
  json.key("services").begin_array();
  for (const auto& t : config.tenants)
    for (Job job : {Job::Export, Job::Import, Job::StatusChange})
      write_job(json, config, outbox, counts, &t, job, running);
  write_job(json, config, outbox, counts, nullptr, Job::Retry, running);
  json.end_array();
  json.end_object();
  return out;
}

std::string status_text(std::string_view status) {
  simdjson::dom::parser parser;
  simdjson::padded_string padded(status);
  const simdjson::dom::element root = parser.parse(padded);
  auto text = [](simdjson::dom::element e) -> std::string {
    if (e.is_null()) return "-";
    if (e.is_string()) return std::string(std::string_view(e));
    if (e.is_bool()) return bool(e) ? "yes" : "no";
    if (e.is_int64()) return std::to_string(int64_t(e));
    if (e.is_double()) return fmt::format("{:.1f}", double(e));
    return "?";
  };
  std::string out;
  const bool running = bool(root["running"]);
  if (running) {
    out += fmt::format("ato-bridge running (pid {}, since {}), {}\n", text(root["pid"]),
                       text(root["started_at"]), bool(root["ready"]) ? "ready" : "NOT READY");
    for (auto reason : simdjson::dom::array(root["not_ready_reasons"])) out += "  ! " + text(reason) + "\n";
    if (bool(root["ready"]))  // else every tenant's problems are among the reasons above
      for (auto [tenant, list] : simdjson::dom::object(root["tenant_problems"]))
        for (auto problem : simdjson::dom::array(list))
          out += fmt::format("  ! tenant {}: {}\n", std::string_view(tenant), text(problem));
    out += fmt::format("circuit breaker {}, {} token fetches\n", text(root["circuit_breaker"]),
                       text(root["token_fetches"]));
  } else {
    out += "ato-bridge is not running; the outbox says:\n";
  }
  const auto outbox = root["outbox"];
  const auto states = outbox["states"];
  out += fmt::format(
      "outbox {}\n  pending {}, in flight {}, retryable {}, done {}, dead {}; oldest waiting {} s\n\n",
      text(outbox["path"]), text(states["pending"]), text(states["in_flight"]), text(states["retryable"]),
      text(states["done"]), text(states["dead"]), text(outbox["oldest_waiting_seconds"]));
  // Times of day (UTC) keep the table narrow; the full timestamps are in --json.
  auto clock = [](const std::string& iso) { return iso.size() >= 19 ? iso.substr(11, 8) : iso; };
  out += fmt::format("{:<12} {:<14} {:<6} {:<6} {:>9} {:>9} {:>9} {:>6} {:>7} {:>5}  {:<8}  {:<8}\n",
                     "tenant", "service", "active", "every", "cursor", "collected", "accepted", "dupl.",
                     "retried", "dead", "last run", "next run");
  for (auto job : simdjson::dom::array(root["services"])) {
    auto field = [&](const char* name) {
      auto e = job[name];
      return e.error() ? std::string("-") : text(e.value());
    };
    const std::string tenant = field("tenant");
    out += fmt::format("{:<12} {:<14} {:<6} {:<6} {:>9} {:>9} {:>9} {:>6} {:>7} {:>5}  {:<8}  {:<8}\n",
                       tenant == "-" ? "(all)" : tenant, field("name"), field("active"), field("run_every"),
                       field("cursor"), field("collected"), field("accepted"), field("duplicates"),
                       field("retried"), field("dead_lettered"), clock(field("last_run_at")),
                       clock(field("next_run_at")));
    out += "  " + field("last_result") + "\n";
  }
  return out;
}

}  // namespace ato::bridge
