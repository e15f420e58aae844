// A JSON load-test report read back (strictly, naming the field at fault), and shard reports merged.
#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <stdexcept>

#include "bridge/loadtest/report.hpp"
#include "core/json_reader.hpp"
#include "core/time.hpp"

namespace ato::bridge {

namespace {

LatencyHistogram read_histogram(const JsonObjectReader& parent, const char* key = "latency_histogram") {
  if (!parent.has(key))
    throw std::invalid_argument(
        parent.path_of(key) + ": missing (a report of an ato-bridge before 0.1.0's shards cannot be merged)");
  const auto h = parent.object(key);
  h.only_keys({"sum_us", "max_us", "buckets"});
  const auto big = std::numeric_limits<std::int64_t>::max();
  LatencyHistogram::Raw raw;
  raw.sum_us = h.integer("sum_us", 0, big);
  raw.max_us = h.integer("max_us", 0, big);
  h.array("buckets").for_each_object([&](const JsonObjectReader& b, std::size_t) {
    b.only_keys({"b", "n"});
    raw.buckets.emplace_back(static_cast<int>(b.integer("b", 0, LatencyHistogram::kBuckets)),
                             b.integer("n", 1, big));
  });
  return LatencyHistogram::from_raw(raw);
}

constexpr std::string_view kReportKeys[] = {"tool",
                                            "target",
                                            "started_at",
                                            "source",
                                            "settings",
                                            "shard",
                                            "duration_s",
                                            "events",
                                            "packages",
                                            "requests",
                                            "events_per_s",
                                            "packages_per_s",
                                            "target_rate_held",
                                            "latency_ms",
                                            "results",
                                            "retries",
                                            "hosts",
                                            "service_time_ms",
                                            "service_time_histogram",
                                            "latency_spectrum",
                                            "status_codes",
                                            "first_errors",
                                            "latency_distribution",
                                            "latency_histogram",
                                            "timeline"};

constexpr std::string_view kSettingsKeys[] = {"rate",       "package_size", "connections",
                                              "duration_s", "events",       "max_retries"};

std::optional<double> read_rate(const JsonObjectReader& settings) {
  auto rate = settings.raw()["rate"];
  if (!rate.error() && rate.is_string() && std::string_view(rate.value()) == "max") return std::nullopt;
  try {
    return settings.number("rate", 1e-9, 1e12);
  } catch (const JsonError&) {
    throw JsonError(settings.path_of("rate"), "expected events per second or \"max\"");
  }
}

void read_status_codes(const JsonObjectReader& parent, std::map<std::string, std::int64_t>& into) {
  for (auto [key, value] : parent.object("status_codes").raw()) {
    std::int64_t n = 0;
    if (value.get_int64().get(n) || n < 0)
      throw JsonError(parent.path_of("status_codes") + "." + std::string(key), "expected a count");
    into[std::string(key)] = n;
  }
}

std::optional<double> nullable_number(const JsonObjectReader& o, const char* key, double max) {
  if (!o.has(key) || o.raw()[key].is_null()) return std::nullopt;
  return o.number(key, 0, max);
}

}  // namespace

LoadtestReport read_loadtest_report(std::string_view text) {
  simdjson::dom::parser parser;
  const JsonObjectReader o(parse_json(parser, text), "");
  o.only_keys(kReportKeys);
  const auto big = std::numeric_limits<std::int64_t>::max();
  LoadtestReport r;
  r.target = o.string("target");
  r.started_at = o.string("started_at");
  r.started_at_ms = o.timestamp("started_at");
  r.source = o.string("source");
  const auto settings = o.object("settings");
  settings.only_keys(kSettingsKeys);
  r.settings.rate = read_rate(settings);
  r.settings.package_size = static_cast<int>(settings.integer("package_size", 1, 1'000'000));
  r.settings.connections = static_cast<int>(settings.integer("connections", 1, 100'000));
  r.settings.duration_s = nullable_number(settings, "duration_s", 1e9);
  if (const auto events = nullable_number(settings, "events", 1e15))
    r.settings.events = static_cast<std::int64_t>(*events);
  if (settings.has("max_retries"))
    r.settings.max_retries = static_cast<int>(settings.integer("max_retries", 0, 1000));
  if (o.has("hosts"))
    o.array("hosts").for_each_object([&](const JsonObjectReader& h, std::size_t) {
      h.only_keys({"name", "cpus", "cpu_model", "kernel", "ato_bridge"});
      LoadtestHost host;
      host.name = h.optional_string("name").value_or("");
      host.cpu_model = h.optional_string("cpu_model").value_or("");
      host.kernel = h.optional_string("kernel").value_or("");
      host.ato_bridge = h.string("ato_bridge");
      host.cpus = static_cast<int>(h.integer("cpus", 0, 1'000'000));
      r.hosts.push_back(std::move(host));
    });
  if (!o.has("shard")) throw std::invalid_argument("shard: missing (a report of an older ato-bridge)");
  const auto shard = o.object("shard");
  shard.only_keys({"index", "count", "merged_from"});
  r.shard.count = static_cast<int>(shard.integer("count", 1, 100'000));
  r.shard.index = static_cast<int>(shard.integer("index", 0, r.shard.count - 1));
  if (shard.has("merged_from"))
    r.shard.merged_from = static_cast<int>(shard.integer("merged_from", 1, 100'000));
  r.duration_s = o.number("duration_s", 0, 1e9);
  r.sent.events = o.integer("events", 0, big);
  r.sent.packages = o.integer("packages", 0, big);
  r.sent.requests = o.integer("requests", 0, big);
  if (o.raw()["retries"].is_int64()) {
    r.retries.events = o.integer("retries", 0, big);  // an ato-bridge before 0.2 counted events only
  } else {
    const auto retries = o.object("retries");
    retries.only_keys({"requests", "events"});
    r.retries.requests = retries.integer("requests", 0, big);
    r.retries.events = retries.integer("events", 0, big);
  }
  const auto results = o.object("results");
  results.only_keys({"accepted", "duplicate", "rejected", "failed"});
  r.results.accepted = results.integer("accepted", 0, big);
  r.results.duplicates = results.integer("duplicate", 0, big);
  r.results.rejected = results.integer("rejected", 0, big);
  r.results.failed = results.integer("failed", 0, big);
  read_status_codes(o, r.status_codes);
  if (o.has("first_errors"))
    o.array("first_errors").for_each_string([&](std::string_view e, std::size_t) {
      r.first_errors.emplace_back(e);
    });
  r.latencies.corrected = read_histogram(o);
  if (o.has("service_time_histogram")) r.latencies.service_time = read_histogram(o, "service_time_histogram");
  o.array("timeline").for_each_object([&](const JsonObjectReader& t, std::size_t index) {
    if (t.integer("second", 0, big) != static_cast<std::int64_t>(index))
      throw JsonError(t.path_of("second"), "expected the seconds in order from 0");
    LoadtestSecond second;
    second.sent = t.integer("sent", 0, big);
    second.accepted = t.integer("accepted", 0, big);
    second.errors = t.integer("errors", 0, big);
    if (t.has("retried_events")) second.retried_events = t.integer("retried_events", 0, big);
    if (t.has("retry_requests")) second.retry_requests = t.integer("retry_requests", 0, big);
    if (t.has("status_codes")) read_status_codes(t, second.status_codes);
    second.latency = read_histogram(t);
    r.timeline.push_back(std::move(second));
  });
  return r;
}

LoadtestReport merge_loadtest_reports(const std::vector<LoadtestReport>& shards) {
  if (shards.empty()) throw std::invalid_argument("no reports to merge");
  const LoadtestReport& first = shards.front();
  const int count = first.shard.count;
  std::vector<bool> seen(static_cast<std::size_t>(count), false);
  for (const auto& s : shards) {
    if (s.shard.merged_from > 1)
      throw std::invalid_argument("a report is already a merge; merge the shard reports");
    if (s.shard.count != count)
      throw std::invalid_argument(
          fmt::format("shard {}/{} and shard {}/{} are not of one run (shard counts differ)", s.shard.index,
                      s.shard.count, first.shard.index, count));
    if (s.settings.package_size != first.settings.package_size || s.target != first.target ||
        s.settings.rate.has_value() != first.settings.rate.has_value())
      throw std::invalid_argument(fmt::format(
          "shard {} differs from shard {} in target, package size or rate mode: not shards of one run",
          s.shard.index, first.shard.index));
    if (seen[static_cast<std::size_t>(s.shard.index)])
      throw std::invalid_argument(fmt::format("shard {}/{} is given twice", s.shard.index, count));
    seen[static_cast<std::size_t>(s.shard.index)] = true;
  }
  std::string missing;
  for (int i = 0; i < count; ++i)
    if (!seen[static_cast<std::size_t>(i)])
      missing += (missing.empty() ? "" : ", ") + fmt::format("{}/{}", i, count);
  if (!missing.empty())
    throw std::invalid_argument("shard(s) " + missing + " missing: merge every shard of the run");

  LoadtestReport m;
  m.target = first.target;
  m.source = first.source;
  m.settings.package_size = first.settings.package_size;
  m.shard.merged_from = count;
  m.started_at_ms = first.started_at_ms;
  std::int64_t ended_ms = 0;
  for (const auto& s : shards) {
    m.started_at_ms = std::min(m.started_at_ms, s.started_at_ms);
    ended_ms = std::max(ended_ms, s.started_at_ms + static_cast<std::int64_t>(s.duration_s * 1000.0));
  }
  m.started_at = format_iso8601_utc(m.started_at_ms);
  m.duration_s = static_cast<double>(ended_ms - m.started_at_ms) / 1000.0;
  for (const auto& s : shards) {
    if (s.settings.rate) m.settings.rate = m.settings.rate.value_or(0) + *s.settings.rate;
    m.settings.connections += s.settings.connections;
    m.sent.events += s.sent.events;
    m.sent.packages += s.sent.packages;
    m.sent.requests += s.sent.requests;
    m.retries.events += s.retries.events;
    m.retries.requests += s.retries.requests;
    m.latencies.service_time.merge(s.latencies.service_time);
    m.hosts.insert(m.hosts.end(), s.hosts.begin(), s.hosts.end());
    m.results.accepted += s.results.accepted;
    m.results.duplicates += s.results.duplicates;
    m.results.rejected += s.results.rejected;
    m.results.failed += s.results.failed;
    for (const auto& [status, n] : s.status_codes) m.status_codes[status] += n;
    for (const auto& e : s.first_errors)
      if (m.first_errors.size() < 5 &&
          std::find(m.first_errors.begin(), m.first_errors.end(), e) == m.first_errors.end())
        m.first_errors.push_back(e);
    m.latencies.corrected.merge(s.latencies.corrected);
    const auto offset = static_cast<std::size_t>((s.started_at_ms - m.started_at_ms) / 1000);
    if (m.timeline.size() < offset + s.timeline.size()) m.timeline.resize(offset + s.timeline.size());
    for (std::size_t i = 0; i < s.timeline.size(); ++i) {
      auto& into = m.timeline[offset + i];
      into.sent += s.timeline[i].sent;
      into.accepted += s.timeline[i].accepted;
      into.errors += s.timeline[i].errors;
      into.retried_events += s.timeline[i].retried_events;
      into.retry_requests += s.timeline[i].retry_requests;
      for (const auto& [status, n] : s.timeline[i].status_codes) into.status_codes[status] += n;
      into.latency.merge(s.timeline[i].latency);
    }
  }
  return m;
}

LoadtestFigures parse_loadtest_report(std::string_view text) {
  simdjson::dom::parser parser;
  const JsonObjectReader o(parse_json(parser, text), "");
  o.only_keys(kReportKeys);
  LoadtestFigures f;
  const auto settings = o.object("settings");
  settings.only_keys(kSettingsKeys);
  f.target_rate = read_rate(settings);
  f.events = o.integer("events", 0, std::numeric_limits<std::int64_t>::max());
  f.events_per_s = o.number("events_per_s", 0, 1e12);
  if (o.has("target_rate_held") && !o.raw()["target_rate_held"].is_null())
    f.target_rate_held = o.boolean("target_rate_held");
  const auto latency = o.object("latency_ms");
  f.p50_ms = latency.number("p50", 0, 1e12);
  f.p99_ms = latency.number("p99", 0, 1e12);
  f.max_ms = latency.number("max", 0, 1e12);
  const auto results = o.object("results");
  results.only_keys({"accepted", "duplicate", "rejected", "failed"});
  const auto big = std::numeric_limits<std::int64_t>::max();
  f.accepted = results.integer("accepted", 0, big) + results.integer("duplicate", 0, big);
  f.not_accepted = results.integer("rejected", 0, big) + results.integer("failed", 0, big);
  f.seconds = o.array("timeline").size();
  return f;
}

}  // namespace ato::bridge
