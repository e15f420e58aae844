// The HTML rendering of a load-test report: one page, no external assets, the JSON report inline and
// the charts drawn from it as SVG by a small script (tested in headless Chromium).
#include "bridge/loadtest/report.hpp"

namespace ato::bridge {

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
 svg{width:100%;height:auto;display:block}
 table{border-collapse:collapse;font-variant-numeric:tabular-nums} td,th{padding:2px 14px;text-align:right;border-bottom:1px solid #eaeef2}
 circle.hover:hover{fill-opacity:1}
</style></head>
<body>
<h1>ato-bridge load test</h1>
<div class="sub" id="sub"></div>
<div class="cards" id="cards"></div>
<div class="chart"><h2>Throughput (events/s)</h2><div class="legend" id="l1"></div><svg id="throughput" viewBox="0 0 900 240"></svg></div>
<div class="chart"><h2>Requests per second by answer, and retries</h2><div class="legend" id="l3"></div><svg id="answers" viewBox="0 0 900 240"></svg></div>
<div class="chart"><h2>Latency over time (ms, corrected: from the intended send time)</h2><div class="legend" id="l2"></div><svg id="latency" viewBox="0 0 900 240"></svg></div>
<div class="chart"><h2>Latency by percentile (ms): corrected, and service time (uncorrected)</h2><div class="legend" id="l4"></div><svg id="spectrum" viewBox="0 0 900 240"></svg></div>
<div class="chart"><h2>Latency distribution (packages per latency band)</h2><svg id="distribution" viewBox="0 0 900 240"></svg></div>
<div class="chart"><h2>Latency percentiles (every package; service time: every request)</h2><table id="percentiles"><tr><th>percentile</th><th>latency (corrected)</th><th>service time (uncorrected)</th></tr></table></div>
<div class="chart"><h2>The run</h2><table id="run"></table></div>
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
    const W = svg.viewBox.baseVal.width, H = svg.viewBox.baseVal.height, L = 56, B = 32;
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
    series.forEach(s => timeline.forEach(p => { const v = s.value(p); if (v !== null) maxY = Math.max(maxY, v); }));
    if (id === 'throughput' && s0target) maxY = Math.max(maxY, s0target);
    const a = axes(svg, Math.max(n - 1, 1), maxY * 1.05 || 1, 'time since start', 's');
    series.forEach((s, i) => {
      // A series without a value for a second (null) is broken there: nothing drawn is better than
      // a figure the samples do not support.
      let run = [];
      const flush = () => {
        if (run.length) el('polyline', {points: run.join(' '), fill: 'none', stroke: s.color, 'stroke-width': s.width || 2,
                                        'stroke-dasharray': s.dash || 'none'}, svg);
        run = [];
      };
      timeline.forEach((p, j) => { const v = s.value(p); if (v === null) flush(); else run.push(a.x(j) + ',' + a.y(v)); });
      flush();
      timeline.forEach((p, j) => {
        if (s.value(p) === null) { svg.setAttribute('data-gaps', String(+(svg.getAttribute('data-gaps') || 0) + 1)); return; }
        // A marked series (max) shows its points, so it stays visible where another line covers it.
        if (s.marks) el('rect', {x: a.x(j) - 3, y: a.y(s.value(p)) - 3, width: 6, height: 6, fill: 'none', stroke: s.color}, svg);
        const dot = el('circle', {cx: a.x(j), cy: a.y(s.value(p)), r: 4, fill: s.color, 'fill-opacity': 0, class: 'hover'}, svg);
        el('title', {}, dot).textContent = j + ' s: ' + s.name + ' ' + fmt(s.value(p)) + unit + (s.note ? s.note(p) : '');
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
  const retries = typeof r.retries === 'number' ? {requests: 0, events: r.retries} : r.retries;
  const cards = [
    [fmt(r.events_per_s), 'events/s' + (s0target ? ' (target ' + s0target + ')' : '')],
    [fmt(r.packages_per_s), 'packages/s'],
    [fmt(r.latency_ms.p50) + ' ms', 'p50 latency'], [fmt(r.latency_ms.p99) + ' ms', 'p99 latency'],
    [fmt(r.latency_ms.max) + ' ms', 'max latency'],
    [r.results.accepted + r.results.duplicate, 'accepted (' + r.results.duplicate + ' duplicates)'],
    [r.results.rejected + r.results.failed, 'not accepted (' + r.results.rejected + ' rejected, ' + r.results.failed + ' failed)'],
    [r.service_time_ms ? fmt(r.service_time_ms.p99) + ' ms' : 'n/a', 'p99 service time (uncorrected)'],
    [retries.requests, 'retry requests (' + retries.events + ' events re-sent)'], [r.requests, 'requests: ' + statuses],
    [held === null ? 'n/a' : held ? 'held' : 'NOT held', 'target rate']];
  cards.forEach(c => {
    const d = document.createElement('div'); d.className = 'card';
    const b = document.createElement('b'); b.textContent = c[0];
    if (c[1] === 'target rate' && held !== null) b.className = held ? 'held' : 'missed';
    const s = document.createElement('span'); s.textContent = c[1];
    d.appendChild(b); d.appendChild(s); document.getElementById('cards').appendChild(d);
  });
  (function () {  // the run's configuration and the machine(s) it ran on
    const st = r.settings, rows = [
      ['rate', st.rate === 'max' ? 'as fast as the connections allow' : st.rate + ' events/s (open model)'],
      ['asked for', st.duration_s != null ? st.duration_s + ' s' : st.events != null ? st.events + ' events' : 'the default count'],
      ['package size', st.package_size], ['connections', st.connections],
      ['retries', 'at most ' + (st.max_retries != null ? st.max_retries : '?') + ' per package, in memory'],
      ['source', r.source], ['target', r.target], ['started', r.started_at]];
    (r.hosts || []).forEach((h, i) => rows.push([(r.hosts.length > 1 ? 'host ' + (i + 1) : 'host'),
        h.name + ', ' + h.cpus + ' CPU(s)' + (h.cpu_model ? ' (' + h.cpu_model + ')' : '') + ', Linux ' + h.kernel + ', ato-bridge ' + h.ato_bridge]));
    const table = document.getElementById('run');
    rows.forEach(row => {
      const tr = document.createElement('tr');
      row.forEach((v, i) => { const td = document.createElement(i ? 'td' : 'th'); td.textContent = String(v); td.style.textAlign = 'left'; tr.appendChild(td); });
      table.appendChild(tr);
    });
    table.setAttribute('data-rows', String(rows.length));
  })();
  (function () {  // the percentile table, as wrk2 prints it
    const table = document.getElementById('percentiles');
    const rows = [['50.000%', 'p50'], ['75.000%', 'p75'], ['90.000%', 'p90'], ['99.000%', 'p99'],
                  ['99.900%', 'p99_9'], ['99.990%', 'p99_99'], ['100.000%', 'max']];
    rows.forEach(row => {
      const tr = document.createElement('tr');
      const of = o => !o || o[row[1]] === undefined ? 'n/a' : fmt(o[row[1]]) + ' ms';
      [row[0], of(r.latency_ms), of(r.service_time_ms)].forEach(v => {
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
  // Answers over time: each status a line (503s and 429s show where they happened), retries dashed.
  const statusNames = [...new Set(timeline.flatMap(p => Object.keys(p.status_codes || {})))].sort();
  const answerColors = {'200': colors[1], '207': colors[1], '429': '#bf8700', '503': colors[2], none: '#24292f'};
  lines('answers', 'l3', ' requests', statusNames.map((k, i) => ({
    name: k === 'none' ? 'no answer' : 'HTTP ' + k, color: answerColors[k] || colors[(i + 3) % colors.length],
    value: p => (p.status_codes || {})[k] || 0})).concat([
    {name: 'retry requests', color: '#8250df', dash: '6 3', value: p => p.retry_requests || 0,
     note: p => ' (' + (p.retried_events || 0) + ' events re-sent)'}]));
  // A second's p99 needs enough packages: below that it would only be the second's maximum again.
  const enough = p => (p.packages === undefined ? p.latency_histogram.buckets.reduce((n, b) => n + b.n, 0) : p.packages) >= )HTML";
  page += std::to_string(kPackagesForP99);
  page += R"HTML(;
  lines('latency', 'l2', ' ms', [
    {name: 'p50', color: colors[0], value: p => p.latency_ms.p50},
    {name: 'p99 (only in seconds with at least )HTML";
  page += std::to_string(kPackagesForP99);
  page += R"HTML( packages)', color: colors[2], width: 2.5,
     value: p => enough(p) ? p.latency_ms.p99 : null},
    {name: 'max (squares; the only tail figure of a second with fewer packages)', color: '#24292f', width: 1,
     dash: '3 3', marks: true, value: p => p.latency_ms.max, note: p => ' (' + p.packages + ' packages)'}]);
  (function () {  // the percentile spectrum: x is 1/(1-p) on a log scale, as HdrHistogram plots it
    const svg = document.getElementById('spectrum');
    const points = (r.latency_spectrum || []).filter(p => p.percentile < 100);
    if (!points.length) return;
    const nines = p => Math.log10(1 / (1 - p / 100));
    const maxX = Math.max(1, Math.ceil(nines(points[points.length - 1].percentile)));
    const maxY = Math.max(...points.map(p => Math.max(p.latency_ms, p.service_time_ms)));
    const a = axes(svg, maxX, maxY * 1.05 || 1, 'percentile', null);
    for (let k = 0; k <= maxX; k++) {
      const pct = k === 0 ? '0%' : (100 - Math.pow(10, 2 - k)).toFixed(Math.max(0, k - 2)) + '%';
      el('line', {x1: a.x(k), y1: a.y(0), x2: a.x(k), y2: a.y(0) + 4, stroke: '#8c959f'}, svg);
      text(svg, a.x(k), a.y(0) + 16, pct, k === maxX && k > 0 ? 'end' : 'middle');
    }
    [['latency (corrected)', 'latency_ms', colors[2]], ['service time (uncorrected)', 'service_time_ms', colors[0]]].forEach(s => {
      el('polyline', {points: points.map(p => a.x(nines(p.percentile)) + ',' + a.y(p[s[1]])).join(' '), fill: 'none',
                      stroke: s[2], 'stroke-width': 2}, svg);
      points.forEach(p => {
        const dot = el('circle', {cx: a.x(nines(p.percentile)), cy: a.y(p[s[1]]), r: 4, fill: s[2], 'fill-opacity': 0, class: 'hover'}, svg);
        el('title', {}, dot).textContent = s[0] + ' at ' + p.percentile + '%: ' + fmt(p[s[1]]) + ' ms';
      });
      const span = document.createElement('span'); span.style.color = s[2]; span.textContent = '\u2501 ' + s[0];
      document.getElementById('l4').appendChild(span);
    });
    svg.setAttribute('data-points', String(points.length));
    svg.setAttribute('data-rendered', 'true');
  })();
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
  // The charts follow the page's width (viewBox, width 100%): what a window of a given size shows.
  document.body.setAttribute('data-chart-width', String(Math.round(document.getElementById('throughput').getBoundingClientRect().width)));
})();
</script>
</body></html>
)HTML";
  return page;
}

}  // namespace ato::bridge
