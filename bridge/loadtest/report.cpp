#include "bridge/loadtest/report.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <stdexcept>

#include "core/json_reader.hpp"
#include "core/json_writer.hpp"
#include "core/time.hpp"

namespace ato::bridge {

namespace {

double ms(std::chrono::microseconds us) {
  return static_cast<double>(us.count()) / 1000.0;
}

void write_percentiles(JsonWriter& json, const LatencyHistogram& h) {
  json.field("p50", ms(h.quantile(0.5)))
      .field("p75", ms(h.quantile(0.75)))
      .field("p90", ms(h.quantile(0.9)))
      .field("p99", ms(h.quantile(0.99)))
      .field("p99_9", ms(h.quantile(0.999)))
      .field("p99_99", ms(h.quantile(0.9999)))
      .field("max", ms(h.max()))
      .field("mean", h.count() ? h.sum_seconds() * 1000.0 / static_cast<double>(h.count()) : 0.0);
}

// Cumulative counts at bounds 1-2-5 per decade: the distribution chart.
void write_distribution(JsonWriter& json, const LatencyHistogram& h) {
  json.key("latency_distribution").begin_array();
  std::int64_t previous = 0;
  for (double decade = 0.1; decade <= 100000; decade *= 10)
    for (double step : {1.0, 2.0, 5.0}) {
      const double bound_ms = decade * step;
      const auto at_most =
          h.count_at_most(std::chrono::microseconds(static_cast<std::int64_t>(bound_ms * 1000)));
      json.begin_object().field("le_ms", bound_ms).field("count", at_most - previous).end_object();
      previous = at_most;
      if (previous >= h.count()) {
        json.end_array();
        return;
      }
    }
  json.end_array();
}

void write_histogram(JsonWriter& json, const LatencyHistogram& h) {
  const auto raw = h.raw();
  json.key("latency_histogram").begin_object().field("sum_us", raw.sum_us).field("max_us", raw.max_us);
  json.key("buckets").begin_array();
  for (const auto& [bucket, count] : raw.buckets)
    json.begin_object().field("b", static_cast<std::int64_t>(bucket)).field("n", count).end_object();
  json.end_array().end_object();
}

LatencyHistogram read_histogram(const JsonObjectReader& parent) {
  if (!parent.has("latency_histogram"))
    throw std::invalid_argument(
        parent.path_of("latency_histogram") +
        ": missing (a report of an ato-bridge before 0.1.0's shards cannot be merged)");
  const auto h = parent.object("latency_histogram");
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

}  // namespace

std::optional<bool> LoadtestReport::rate_held() const {
  if (!target_rate) return std::nullopt;
  return events_per_s() >= 0.95 * *target_rate;
}

std::string summary_text(const LoadtestReport& r) {
  std::string out;
  out += fmt::format("load test against {} ({} events, {}), packages of {}, {} connection(s){}\n", r.target,
                     r.events, r.source, r.package_size, r.connections,
                     r.merged_from > 1   ? fmt::format(", merged from {} shards", r.merged_from)
                     : r.shard_count > 1 ? fmt::format(", shard {}/{} (its share of the schedule)",
                                                       r.shard_index, r.shard_count)
                                         : std::string());
  out += fmt::format("  duration      {:.2f} s\n", r.duration_s);
  out +=
      fmt::format("  throughput    {:.0f} events/s, {:.1f} packages/s", r.events_per_s(), r.packages_per_s());
  if (r.target_rate)
    out +=
        fmt::format("  (target {:.0f} events/s: {})", *r.target_rate, *r.rate_held() ? "held" : "NOT held");
  out += "\n";
  const auto& h = r.latency;
  out += fmt::format(
      "  latency       p50 {:.1f} ms, p90 {:.1f} ms, p99 {:.1f} ms, p99.9 {:.1f} ms, max {:.1f} ms (from the "
      "intended "
      "send time)\n",
      ms(h.quantile(0.5)), ms(h.quantile(0.9)), ms(h.quantile(0.99)), ms(h.quantile(0.999)), ms(h.max()));
  out += fmt::format("  results       {} accepted, {} duplicates, {} rejected, {} failed; {} retries\n",
                     r.accepted, r.duplicates, r.rejected, r.failed, r.retries);
  out += "  HTTP          ";
  for (const auto& [status, n] : r.status_codes) out += fmt::format("{}: {}  ", status, n);
  out += "\n";
  for (const auto& error : r.first_errors) out += "  error         " + error + "\n";
  return out;
}

std::string report_json(const LoadtestReport& r) {
  std::string out;
  JsonWriter json(out);
  json.begin_object()
      .field("tool", "ato-bridge loadtest")
      .field("target", r.target)
      .field("started_at", r.started_at)
      .field("source", r.source);
  json.key("settings").begin_object().key("rate");
  r.target_rate ? json.value(*r.target_rate) : json.value("max");
  json.field("package_size", r.package_size).field("connections", r.connections).end_object();
  json.key("shard").begin_object().field("index", r.shard_index).field("count", r.shard_count);
  if (r.merged_from > 1) json.field("merged_from", r.merged_from);
  json.end_object();
  json.field("duration_s", r.duration_s)
      .field("events", r.events)
      .field("packages", r.packages)
      .field("requests", r.requests)
      .field("events_per_s", r.events_per_s())
      .field("packages_per_s", r.packages_per_s())
      .key("target_rate_held");
  r.rate_held() ? json.value(*r.rate_held()) : json.null();
  json.key("latency_ms").begin_object();
  write_percentiles(json, r.latency);
  json.end_object();
  json.key("results")
      .begin_object()
      .field("accepted", r.accepted)
      .field("duplicate", r.duplicates)
      .field("rejected", r.rejected)
      .field("failed", r.failed)
      .end_object();
  json.field("retries", r.retries);
  json.key("status_codes").begin_object();
  for (const auto& [status, n] : r.status_codes) json.field(status, n);
  json.end_object();
  json.key("first_errors").begin_array();
  for (const auto& e : r.first_errors) json.value(e);
  json.end_array();
  write_distribution(json, r.latency);
  write_histogram(json, r.latency);
  json.key("timeline").begin_array();
  for (std::size_t i = 0; i < r.timeline.size(); ++i) {
    const auto& s = r.timeline[i];
    json.begin_object()
        .field("second", static_cast<std::int64_t>(i))
        .field("sent", s.sent)
        .field("accepted", s.accepted)
        .field("errors", s.errors);
    json.key("latency_ms").begin_object();
    write_percentiles(json, s.latency);
    json.end_object();
    write_histogram(json, s.latency);
    json.end_object();
  }
  json.end_array().end_object();
  return out;
}

std::string report_html(const LoadtestReport& r) {
  // Inside <script>, "</" would end the element: JSON allows "<\/".
  const std::string json = report_json(r);
  std::string data;
  data.reserve(json.size() + 16);
  for (std::size_t i = 0; i < json.size(); ++i) {
    data += json[i];
    if (json[i] == '<' && i + 1 < json.size() && json[i + 1] == '/') data += '\\';
  }
  std::string page = R"HTML(<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>ato-bridge load test</title>
<style>
 body{font:14px system-ui,sans-serif;margin:24px;color:#1d2733;background:#f6f8fa}
 h1{font-size:20px;margin:0 0 4px} .sub{color:#57606a;margin-bottom:16px}
 .cards{display:flex;gap:12px;flex-wrap:wrap;margin-bottom:16px}
 .card{background:#fff;border:1px solid #d0d7de;border-radius:8px;padding:10px 14px;min-width:130px}
 .card b{display:block;font-size:20px} .card span{color:#57606a;font-size:12px}
 .chart{background:#fff;border:1px solid #d0d7de;border-radius:8px;padding:12px;margin-bottom:16px}
 .chart h2{font-size:15px;margin:0 0 8px} svg text{font-size:11px;fill:#57606a}
 .legend span{margin-right:14px;font-size:12px} .held{color:#1a7f37} .missed{color:#cf222e}
 table{border-collapse:collapse;font-variant-numeric:tabular-nums} td,th{padding:2px 14px;text-align:right;border-bottom:1px solid #eaeef2}
 circle.hover:hover{fill-opacity:1}
</style></head>
<body>
<h1>ato-bridge load test</h1>
<div class="sub" id="sub"></div>
<div class="cards" id="cards"></div>
<div class="chart"><h2>Throughput (events/s)</h2><div class="legend" id="l1"></div><svg id="throughput" width="900" height="240"></svg></div>
<div class="chart"><h2>Latency over time (ms, from the intended send time)</h2><div class="legend" id="l2"></div><svg id="latency" width="900" height="240"></svg></div>
<div class="chart"><h2>Latency distribution (packages per latency band)</h2><svg id="distribution" width="900" height="240"></svg></div>
<div class="chart"><h2>Latency percentiles (from the intended send time, every package)</h2><table id="percentiles"><tr><th>percentile</th><th>latency</th></tr></table></div>
<script id="report" type="application/json">)HTML";
  page += data;
  page += R"HTML(</script>
<script>
window.onerror = function (message) { document.body.setAttribute('data-script-errors', String(message)); };
(function () {
  const r = JSON.parse(document.getElementById('report').textContent);
  const NS = 'http://www.w3.org/2000/svg';
  const colors = ['#0969da', '#1a7f37', '#cf222e', '#8250df'];
  function el(name, attrs, parent) {
    const e = document.createElementNS(NS, name);
    for (const k in attrs) e.setAttribute(k, attrs[k]);
    if (parent) parent.appendChild(e);
    return e;
  }
  function text(parent, x, y, s, anchor) { const t = el('text', {x: x, y: y, 'text-anchor': anchor || 'start'}, parent); t.textContent = s; }
  function fmt(v) { return v >= 100 ? Math.round(v).toString() : v >= 10 ? v.toFixed(1) : v.toFixed(2); }
  // Round ticks: a step of 1, 2 or 5 times a power of ten, about `count` of them up to the maximum.
  function ticks(max, count) {
    if (!(max > 0)) return {step: 1, top: 1};
    const raw = max / count, power = Math.pow(10, Math.floor(Math.log10(raw)));
    const step = [1, 2, 5, 10].map(m => m * power).find(s => s >= raw);
    return {step: step, top: Math.ceil(max / step - 1e-9) * step};
  }
  function label(v, unit) { return (Math.abs(v) >= 1000 ? (v / 1000).toLocaleString('en') + 'k' : String(+v.toPrecision(6))) + (unit || ''); }
  function axes(svg, maxX, maxY, xLabel, xUnit) {
    const W = +svg.getAttribute('width'), H = +svg.getAttribute('height'), L = 56, B = 32;
    const ty = ticks(maxY, 4), tx = ticks(maxX, 10);
    const a = {x: v => L + (W - 10 - L) * v / tx.top, y: v => H - B - (H - B - 10) * v / ty.top};
    el('line', {x1: L, y1: H - B, x2: W - 10, y2: H - B, stroke: '#8c959f'}, svg);
    el('line', {x1: L, y1: 10, x2: L, y2: H - B, stroke: '#8c959f'}, svg);
    for (let v = 0; v <= ty.top + 1e-9; v += ty.step) {
      el('line', {x1: L, y1: a.y(v), x2: W - 10, y2: a.y(v), stroke: '#eaeef2'}, svg);
      text(svg, L - 6, a.y(v) + 4, label(v), 'end');
    }
    let xticks = 0;
    if (xUnit !== null) {
      for (let v = 0; v <= tx.top + 1e-9; v += tx.step, xticks++) {
        el('line', {x1: a.x(v), y1: H - B, x2: a.x(v), y2: H - B + 4, stroke: '#8c959f'}, svg);
        text(svg, a.x(v), H - B + 16, label(v, xUnit), 'middle');
      }
    }
    svg.setAttribute('data-xticks', String(xticks));
    text(svg, W - 10, H - 2, xLabel, 'end');
    return a;
  }
  // Lines over the timeline; each point says its value on hover.
  // The run rarely ends on a whole second: a last second covering under half a second would read as
  // a collapse of the rate, so the charts leave it out (its packages count in every total).
  const timeline = r.timeline.length > 1 && r.duration_s - (r.timeline.length - 1) < 0.5 ? r.timeline.slice(0, -1) : r.timeline;
  function lines(id, legendId, unit, series) {
    const svg = document.getElementById(id);
    const n = timeline.length;
    let maxY = 0;
    series.forEach(s => timeline.forEach(p => { maxY = Math.max(maxY, s.value(p)); }));
    if (id === 'throughput' && s0target) maxY = Math.max(maxY, s0target);
    const a = axes(svg, Math.max(n - 1, 1), maxY * 1.05 || 1, 'time since start', 's');
    series.forEach((s, i) => {
      const pts = timeline.map((p, j) => a.x(j) + ',' + a.y(s.value(p))).join(' ');
      el('polyline', {points: pts, fill: 'none', stroke: s.color, 'stroke-width': s.width || 2,
                      'stroke-dasharray': s.dash || 'none'}, svg);
      timeline.forEach((p, j) => {
        // A marked series (max) shows its points, so it stays visible where another line covers it.
        if (s.marks) el('rect', {x: a.x(j) - 3, y: a.y(s.value(p)) - 3, width: 6, height: 6, fill: 'none', stroke: s.color}, svg);
        const dot = el('circle', {cx: a.x(j), cy: a.y(s.value(p)), r: 4, fill: s.color, 'fill-opacity': 0, class: 'hover'}, svg);
        el('title', {}, dot).textContent = j + ' s: ' + s.name + ' ' + fmt(s.value(p)) + unit;
      });
      const span = document.createElement('span');
      span.style.color = s.color;
      span.textContent = (s.marks ? '\u25A1 ' : s.dash ? '\u2504 ' : '\u2501 ') + s.name;
      document.getElementById(legendId).appendChild(span);
    });
    if (s0target && id === 'throughput') {
      el('line', {x1: a.x(0), x2: a.x(Math.max(n - 1, 1)), y1: a.y(s0target), y2: a.y(s0target), stroke: '#8250df', 'stroke-dasharray': '6 4'}, svg);
      text(svg, a.x(0) + 4, a.y(s0target) - 4, 'target ' + fmt(s0target) + '/s');
    }
    svg.setAttribute('data-rendered', 'true');
  }
  const s0target = typeof r.settings.rate === 'number' ? r.settings.rate : 0;
  document.getElementById('sub').textContent = r.target + ' \u00B7 ' + r.started_at + ' \u00B7 ' + r.source +
      ' \u00B7 packages of ' + r.settings.package_size + ', ' + r.settings.connections + ' connection(s)' +
      (r.shard && r.shard.merged_from ? ' \u00B7 merged from ' + r.shard.merged_from + ' shards'
       : r.shard && r.shard.count > 1 ? ' \u00B7 shard ' + r.shard.index + '/' + r.shard.count : '');
  const held = r.target_rate_held;
  const statuses = Object.keys(r.status_codes).map(k => (k === 'none' ? 'no answer' : 'HTTP ' + k) + ': ' + r.status_codes[k]).join(', ') || 'none';
  const cards = [
    [fmt(r.events_per_s), 'events/s' + (s0target ? ' (target ' + s0target + ')' : '')],
    [fmt(r.packages_per_s), 'packages/s'],
    [fmt(r.latency_ms.p50) + ' ms', 'p50 latency'], [fmt(r.latency_ms.p99) + ' ms', 'p99 latency'],
    [fmt(r.latency_ms.max) + ' ms', 'max latency'],
    [r.results.accepted + r.results.duplicate, 'accepted (' + r.results.duplicate + ' duplicates)'],
    [r.results.rejected + r.results.failed, 'not accepted (' + r.results.rejected + ' rejected, ' + r.results.failed + ' failed)'],
    [r.retries, 'retries'], [r.requests, 'requests: ' + statuses],
    [held === null ? 'n/a' : held ? 'held' : 'NOT held', 'target rate']];
  cards.forEach(c => {
    const d = document.createElement('div'); d.className = 'card';
    const b = document.createElement('b'); b.textContent = c[0];
    if (c[1] === 'target rate' && held !== null) b.className = held ? 'held' : 'missed';
    const s = document.createElement('span'); s.textContent = c[1];
    d.appendChild(b); d.appendChild(s); document.getElementById('cards').appendChild(d);
  });
  (function () {  // the percentile table, as wrk2 prints it
    const table = document.getElementById('percentiles');
    const rows = [['50.000%', 'p50'], ['75.000%', 'p75'], ['90.000%', 'p90'], ['99.000%', 'p99'],
                  ['99.900%', 'p99_9'], ['99.990%', 'p99_99'], ['100.000%', 'max']];
    rows.forEach(row => {
      const tr = document.createElement('tr');
      [row[0], r.latency_ms[row[1]] === undefined ? 'n/a' : fmt(r.latency_ms[row[1]]) + ' ms'].forEach(v => {
        const td = document.createElement('td'); td.textContent = v; tr.appendChild(td);
      });
      table.appendChild(tr);
    });
    table.setAttribute('data-rows', String(rows.length));
  })();
  lines('throughput', 'l1', ' events/s', [
    {name: 'sent', color: colors[0], value: p => p.sent},
    {name: 'accepted', color: colors[1], value: p => p.accepted},
    {name: 'not accepted', color: colors[2], value: p => p.errors}]);
  lines('latency', 'l2', ' ms', [
    {name: 'p50', color: colors[0], value: p => p.latency_ms.p50},
    {name: 'p99', color: colors[2], width: 2.5, value: p => p.latency_ms.p99},
    {name: 'max (squares; on the p99 line when a second has under 100 packages)', color: '#24292f', width: 1,
     dash: '3 3', marks: true, value: p => p.latency_ms.max}]);
  (function () {
    const svg = document.getElementById('distribution');
    const d = r.latency_distribution;
    const maxY = Math.max(1, ...d.map(b => b.count));
    const a = axes(svg, d.length, maxY * 1.05, 'latency at most (ms)', null);
    const w = (a.x(1) - a.x(0)) * 0.8;
    d.forEach((b, i) => {
      const bar = el('rect', {x: a.x(i) + w * 0.1, y: a.y(b.count), width: w, height: a.y(0) - a.y(b.count), fill: colors[0]}, svg);
      el('title', {}, bar).textContent = b.count + ' packages at most ' + b.le_ms + ' ms';
      text(svg, a.x(i) + w * 0.6, a.y(0) + 14, label(b.le_ms), 'middle');
    });
    svg.setAttribute('data-rendered', 'true');
  })();
  document.body.setAttribute('data-charts', String(document.querySelectorAll('svg[data-rendered]').length));
})();
</script>
</body></html>
)HTML";
  return page;
}

namespace {

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
                                            "status_codes",
                                            "first_errors",
                                            "latency_distribution",
                                            "latency_histogram",
                                            "timeline"};

std::optional<double> read_rate(const JsonObjectReader& settings) {
  auto rate = settings.raw()["rate"];
  if (!rate.error() && rate.is_string() && std::string_view(rate.value()) == "max") return std::nullopt;
  try {
    return settings.number("rate", 1e-9, 1e12);
  } catch (const JsonError&) {
    throw JsonError(settings.path_of("rate"), "expected events per second or \"max\"");
  }
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
  settings.only_keys({"rate", "package_size", "connections"});
  r.target_rate = read_rate(settings);
  r.package_size = static_cast<int>(settings.integer("package_size", 1, 1'000'000));
  r.connections = static_cast<int>(settings.integer("connections", 1, 100'000));
  if (!o.has("shard")) throw std::invalid_argument("shard: missing (a report of an older ato-bridge)");
  const auto shard = o.object("shard");
  shard.only_keys({"index", "count", "merged_from"});
  r.shard_count = static_cast<int>(shard.integer("count", 1, 100'000));
  r.shard_index = static_cast<int>(shard.integer("index", 0, r.shard_count - 1));
  if (shard.has("merged_from")) r.merged_from = static_cast<int>(shard.integer("merged_from", 1, 100'000));
  r.duration_s = o.number("duration_s", 0, 1e9);
  r.events = o.integer("events", 0, big);
  r.packages = o.integer("packages", 0, big);
  r.requests = o.integer("requests", 0, big);
  r.retries = o.integer("retries", 0, big);
  const auto results = o.object("results");
  results.only_keys({"accepted", "duplicate", "rejected", "failed"});
  r.accepted = results.integer("accepted", 0, big);
  r.duplicates = results.integer("duplicate", 0, big);
  r.rejected = results.integer("rejected", 0, big);
  r.failed = results.integer("failed", 0, big);
  for (auto [key, value] : o.object("status_codes").raw()) {
    std::int64_t n = 0;
    if (value.get_int64().get(n) || n < 0)
      throw JsonError(o.path_of("status_codes") + "." + std::string(key), "expected a count");
    r.status_codes[std::string(key)] = n;
  }
  if (o.has("first_errors"))
    o.array("first_errors").for_each_string([&](std::string_view e, std::size_t) {
      r.first_errors.emplace_back(e);
    });
  r.latency = read_histogram(o);
  o.array("timeline").for_each_object([&](const JsonObjectReader& t, std::size_t index) {
    if (t.integer("second", 0, big) != static_cast<std::int64_t>(index))
      throw JsonError(t.path_of("second"), "expected the seconds in order from 0");
    LoadtestSecond second;
    second.sent = t.integer("sent", 0, big);
    second.accepted = t.integer("accepted", 0, big);
    second.errors = t.integer("errors", 0, big);
    second.latency = read_histogram(t);
    r.timeline.push_back(std::move(second));
  });
  return r;
}

LoadtestReport merge_loadtest_reports(const std::vector<LoadtestReport>& shards) {
  if (shards.empty()) throw std::invalid_argument("no reports to merge");
  const LoadtestReport& first = shards.front();
  const int count = first.shard_count;
  std::vector<bool> seen(static_cast<std::size_t>(count), false);
  for (const auto& s : shards) {
    if (s.merged_from > 1)
      throw std::invalid_argument("a report is already a merge; merge the shard reports");
    if (s.shard_count != count)
      throw std::invalid_argument(
          fmt::format("shard {}/{} and shard {}/{} are not of one run (shard counts differ)", s.shard_index,
                      s.shard_count, first.shard_index, count));
    if (s.package_size != first.package_size || s.target != first.target ||
        s.target_rate.has_value() != first.target_rate.has_value())
      throw std::invalid_argument(fmt::format(
          "shard {} differs from shard {} in target, package size or rate mode: not shards of one run",
          s.shard_index, first.shard_index));
    if (seen[static_cast<std::size_t>(s.shard_index)])
      throw std::invalid_argument(fmt::format("shard {}/{} is given twice", s.shard_index, count));
    seen[static_cast<std::size_t>(s.shard_index)] = true;
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
  m.package_size = first.package_size;
  m.merged_from = count;
  m.started_at_ms = first.started_at_ms;
  std::int64_t ended_ms = 0;
  for (const auto& s : shards) {
    m.started_at_ms = std::min(m.started_at_ms, s.started_at_ms);
    ended_ms = std::max(ended_ms, s.started_at_ms + static_cast<std::int64_t>(s.duration_s * 1000.0));
  }
  m.started_at = format_iso8601_utc(m.started_at_ms);
  m.duration_s = static_cast<double>(ended_ms - m.started_at_ms) / 1000.0;
  for (const auto& s : shards) {
    if (s.target_rate) m.target_rate = m.target_rate.value_or(0) + *s.target_rate;
    m.connections += s.connections;
    m.events += s.events;
    m.packages += s.packages;
    m.requests += s.requests;
    m.retries += s.retries;
    m.accepted += s.accepted;
    m.duplicates += s.duplicates;
    m.rejected += s.rejected;
    m.failed += s.failed;
    for (const auto& [status, n] : s.status_codes) m.status_codes[status] += n;
    for (const auto& e : s.first_errors)
      if (m.first_errors.size() < 5 &&
          std::find(m.first_errors.begin(), m.first_errors.end(), e) == m.first_errors.end())
        m.first_errors.push_back(e);
    m.latency.merge(s.latency);
    const auto offset = static_cast<std::size_t>((s.started_at_ms - m.started_at_ms) / 1000);
    if (m.timeline.size() < offset + s.timeline.size()) m.timeline.resize(offset + s.timeline.size());
    for (std::size_t i = 0; i < s.timeline.size(); ++i) {
      auto& into = m.timeline[offset + i];
      into.sent += s.timeline[i].sent;
      into.accepted += s.timeline[i].accepted;
      into.errors += s.timeline[i].errors;
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
  settings.only_keys({"rate", "package_size", "connections"});
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
