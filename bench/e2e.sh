#!/usr/bin/env bash
# bench/run e2e: the bridge end to end, simulator feed -> bridge -> fake Cloud ALM, over TLS on
# 127.0.0.1, packages of 100, durability normal.
#   1. floor: bare SQLite enqueueing (batches of 1000) then claiming and deleting (packages of 100)
#      the same number of events on the same disk, measured now: the physical floor of a durable queue.
#      Measured right before and right after the backlog drains; the ratio uses their mean (on a
#      shared host the floor alone moved by a fifth from one minute to the next).
#   2. backlog: a landscape of ~1,000,000 events is in the feed before the bridge starts (--backfill);
#      events/s from start to the last acceptance, the bridge's RSS sampled while the backlog drains.
#   3. steady flow: ~1,000 events/s, the schedule (1s) not the bottleneck: collection-to-acceptance
#      latency percentiles from the bridge's own histogram.
#   4. tenants: the backlog again with 1 tenant and with 12 (three landscapes of four tenants each:
#      development 080 and 100, test, production), the same number of events in the bridge's feeds;
#      events/s and collection-to-acceptance p99 side by side.
# Parts 2 and 4 print the CPU (user + system) each process spent per event drained: the bridge, and
# the simulator serving both the feed and Cloud ALM (they share the machine's cores).
# Environment: TRANSPORTS (default 106000, ~1M events), STEADY_SECONDS (default 20), TENANTS_RUN
# (default 1: part 4 runs; 0 skips it).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build="${BUILD_DIR:-$root/build-bench}"
transports="${TRANSPORTS:-106000}"
steady_seconds="${STEADY_SECONDS:-20}"
py=/usr/bin/python3
source "$root/bench/lib/ato_sim.sh"
source "$root/bench/lib/cpu.sh"

work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

# One certificate for every simulator of a run, so a bridge reading several trusts them all.
/usr/bin/openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj /CN=127.0.0.1 \
  -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" -days 2 -keyout "$work/tls.key" -out "$work/tls.pem" \
  2>/dev/null
fetch() { curl -sS --max-time 10 --cacert "$work/tls.pem" "${@:2}"; }

start_sim() {  # dir, extra args... (SEED: the landscape's seed, 5 by default)
  local dir=$1; shift
  mkdir -p "$dir"
  "$build/simulator/ato-sim" serve --ready-file "$dir/ready.json" --log-level warn --threads 1 --seed "${SEED:-5}" \
    --tls-cert "$work/tls.pem" --tls-key "$work/tls.key" "$@" 2>"$dir/sim.log" &
  pids+=($!)
  for _ in $(seq 400); do [[ -s "$dir/ready.json" ]] && return; sleep 0.05; done
  echo "ato-sim did not start" >&2; cat "$dir/sim.log" >&2; exit 1
}
ato_stats() { fetch "$1" "$(json_field "$1/ready.json" ato_url)/sim/ato/stats"; }
accepted() { fetch "$1" "$(json_field "$1/ready.json" alm_url)/sim/stats" | $py -c "import json,sys;print(json.load(sys.stdin)['events_accepted'])"; }
# Events the named tenants' feeds hold (all tenants: no names).
feed_events() {  # dir [tenant...]
  ato_stats "$1" | $py -c "import json,sys
names=set(sys.argv[1:]); s=json.load(sys.stdin)
print(sum(sum(t['events_generated'].values()) for t in s['tenants'] if not names or t['name'] in names))" "${@:2}"
}

# bridge_config DIR ALM_DIR ATO_DIR[:TENANT,TENANT...]...: one tenant per feed of each simulated ATO
# (or the ones named), Cloud ALM from ALM_DIR. Passwords inline: a private file in a temporary folder.
bridge_config() {
  local dir=$1 alm=$2; shift 2
  $py - "$dir" "$alm" "$work/tls.pem" "$@" <<'PY'
import json, os, sys
dir, alm, ca, feeds = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
tenants = []
for feed in feeds:
    ato, _, names = feed.partition(":")
    wanted = set(names.split(",")) if names else None
    for t in json.load(open(os.path.join(ato, "ready.json")))["tenants"]:
        if wanted is None or t["name"] in wanted:
            tenants.append({"name": t["name"], "feed_url": t["feed_url"], "user": t["user"], "password": t["password"]})
config = {
    "cloud_alm": {"service_key_file": os.path.join(alm, "ato-sim-service-key.json")},
    "tenants": tenants,
    "services": {s: {"run_every": "1s"} for s in ("export", "import", "status_change")} | {"retry": {"run_every": "5s"}},
    "outbox": {"path": os.path.join(dir, "outbox.db"), "durability": "normal"},
    "tls": {"ca_file": ca}, "push": {"connections": 4},
    "admin": {"listen": "127.0.0.1:0"}, "log": {"level": "warn"},
}
path = os.path.join(dir, "bridge.json")
with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as f:
    json.dump(config, f, indent=1)
PY
}
# An operator registers the landscape's systems before the first run; the drains are timed from the
# run's start (registering twelve tenants' systems takes longer than one tenant's, and is not draining).
register_systems() { "$build/bridge/ato-bridge" register --config "$1/bridge.json" > "$1/register.log"; }
start_bridge() {  # dir (its systems registered)
  "$build/bridge/ato-bridge" run --config "$1/bridge.json" --backfill 2>"$1/bridge.log" &
  bridge_pid=$!
  pids+=("$bridge_pid")
}
hwm_mb() { awk '/^VmHWM/ {printf "%.0f", $2/1024}' "/proc/$1/status" 2>/dev/null || echo 0; }

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"

# --- 2 first: the backlog (its size sets the floor's) ---------------------------------------------
dir="$work/backlog"
start_sim "$dir" --generate-count "$transports" --time-scale 1000000000
# (the generator keeps the simulator busy: a stats request may time out meanwhile)
for _ in $(seq 600); do { ato_stats "$dir" 2>/dev/null || true; } | grep -q '"generator_done":true' && break; sleep 0.5; done
total=$(feed_events "$dir")

# --- 1. the floor, same number of events --------------------------------------------------------
measure_floor() {
  "$build/bench/bench_outbox" --floor "$total" "$work/floor" | awk '/^floor_events_per_s/ {print $2}'
  rm -rf "$work/floor"
}
floor_before=$(measure_floor)
echo "floor: bare SQLite enqueue (batches of 1000) + claim/delete (packages of 100) of $total events: $floor_before events/s"

bridge_config "$dir" "$dir" "$dir"
echo "backlog: $total events in the feeds of one landscape's 4 tenants; bridge: packages of 100, 4 connections (8 push workers), TLS, durability normal"
# One watcher process for the whole drain (bench/lib/watch_drain.py): the poll costs the two cores
# next to nothing, the bridge and the simulator keep them.
alm_url=$(json_field "$dir/ready.json" alm_url)
register_systems "$dir"
start=$(date +%s.%N)
sim_cpu_before=$(cpu_seconds "${pids[0]}")
start_bridge "$dir"
$py "$root/bench/lib/watch_drain.py" "$alm_url" "$work/tls.pem" "$total" "$bridge_pid" "$work/samples" ||
  { tail -20 "$dir/bridge.log" >&2; exit 1; }
elapsed=$(echo "$(date +%s.%N) - $start" | bc)
rate=$(echo "$total / $elapsed" | bc)
admin=$(json_field "$dir/outbox.db.run.json" admin_url)
curl -sS "$admin/status" > "$dir/status.json"
hwm=$(hwm_mb "$bridge_pid")
bridge_cpu_us=$(per_unit_us 0 "$(cpu_seconds "$bridge_pid")" "$total")
sim_cpu_us=$(per_unit_us "$sim_cpu_before" "$(cpu_seconds "${pids[0]}")" "$total")
# RSS at a quarter, half and three quarters of the drain: flat means no growth with the backlog.
rss_at() { awk -F: -v want="$(echo "$1 * $total / 1" | bc)" -v col="$2" '$1 >= want { print $col; exit }' "$work/samples"; }
q1=$(rss_at 0.25 2); q2=$(rss_at 0.5 2); q3=$(rss_at 0.75 2)
a1=$(rss_at 0.25 3); a2=$(rss_at 0.5 3); a3=$(rss_at 0.75 3)
kill -TERM "$bridge_pid"; wait "$bridge_pid" 2>/dev/null || true
echo "backlog drained: $total events in $(printf %.1f "$elapsed") s = $rate events/s"
echo "CPU per event (user + system): bridge $bridge_cpu_us us; ato-sim $sim_cpu_us us (feed and Cloud ALM)"
echo "bridge RSS while draining: ${q1} MB at 25%, ${q2} MB at 50%, ${q3} MB at 75%; peak ${hwm} MB"
echo "  of which anonymous (heap, SQLite page cache): ${a1} MB, ${a2} MB, ${a3} MB; the rest is the outbox file"
echo "  mapped by SQLite (mmap_size caps it at 256 MB; page cache the kernel can reclaim)"
echo "collection-to-acceptance while draining a backlog (queueing included): p50 $(json_field "$dir/status.json" latency_ms.collection_to_acceptance_p50) ms, p99 $(json_field "$dir/status.json" latency_ms.collection_to_acceptance_p99) ms"
kill "${pids[0]}" 2>/dev/null || true
wait "${pids[0]}" 2>/dev/null || true
floor_after=$(measure_floor)
floor=$(( (floor_before + floor_after) / 2 ))
echo "floor again, right after the drain: $floor_after events/s; the ratio below uses the mean, $floor events/s"

# --- 3. a steady flow of ~1,000 events/s ------------------------------------------------------------
dir="$work/steady"
# At x3600 (an hour per second) a transport's lifecycle takes seconds. 2.47 transports per landscape
# minute gives 974-1,002 events/s measured over the window (transports started earlier are still
# producing events: the flow is below rate x events per transport in the first minutes).
start_sim "$dir" --generate-rate 2.47 --time-scale 3600
bridge_config "$dir" "$dir" "$dir"
register_systems "$dir"
start_bridge "$dir"
sleep 3
base=$(accepted "$dir")
sleep "$steady_seconds"
flow=$(( ($(accepted "$dir") - base) / steady_seconds ))
admin=$(json_field "$dir/outbox.db.run.json" admin_url)
curl -sS "$admin/status" > "$dir/status.json"
curl -sS "$admin/metrics" > "$dir/metrics.txt"
# The tail: events that waited for another service's next poll (the low watermark) take ~1 s.
bucket() { awk -v le="$1" -F'[{}" ]+' '/^ato_bridge_collection_to_acceptance_seconds_bucket/ && $3 == le {print $NF}' "$dir/metrics.txt"; }
p50=$(json_field "$dir/status.json" latency_ms.collection_to_acceptance_p50)
p99=$(json_field "$dir/status.json" latency_ms.collection_to_acceptance_p99)
echo "steady flow: $flow events/s for ${steady_seconds} s; collection-to-acceptance p50 $p50 ms, p99 $p99 ms, push p99 $(json_field "$dir/status.json" latency_ms.push_p99) ms"
all=$(bucket +Inf)
echo "  accepted within 50 ms: $(bucket 0.05) of $all; after more than 1 s: $(( all - $(bucket 1) ))"

# --- 4. one tenant and twelve ----------------------------------------------------------------------
# drain DIR TOTAL ALM_DIR: starts the bridge of DIR, waits until ALM_DIR accepted TOTAL, prints
# "events/s p99_ms cpu_us": p99 from collection to acceptance (queueing included), cpu_us the
# bridge's CPU per event.
drain() {
  local dir=$1 want=$2 alm_url began
  alm_url=$(json_field "$3/ready.json" alm_url)
  register_systems "$dir"
  began=$(date +%s.%N)
  start_bridge "$dir"
  $py "$root/bench/lib/watch_drain.py" "$alm_url" "$work/tls.pem" "$want" \
    "$bridge_pid" "$dir/samples" >/dev/null || { tail -20 "$dir/bridge.log" >&2; exit 1; }
  local took; took=$(echo "$(date +%s.%N) - $began" | bc)
  curl -sS "$(json_field "$dir/outbox.db.run.json" admin_url)/status" > "$dir/status.json"
  local cpu_us; cpu_us=$(per_unit_us 0 "$(cpu_seconds "$bridge_pid")" "$want")
  kill -TERM "$bridge_pid"; wait "$bridge_pid" 2>/dev/null || true
  echo "$(echo "$want / $took" | bc) $(json_field "$dir/status.json" latency_ms.collection_to_acceptance_p99) $cpu_us"
}
# steady DIR ALM_DIR: ~1,000 events/s for STEADY_SECONDS; prints "events/s p99_ms".
steady() {
  local dir=$1 alm=$2 base
  register_systems "$dir"
  start_bridge "$dir"
  sleep 3
  base=$(accepted "$alm")
  sleep "$steady_seconds"
  local flow=$(( ($(accepted "$alm") - base) / steady_seconds ))
  curl -sS "$(json_field "$dir/outbox.db.run.json" admin_url)/status" > "$dir/status.json"
  kill -TERM "$bridge_pid"; wait "$bridge_pid" 2>/dev/null || true
  echo "$flow $(json_field "$dir/status.json" latency_ms.collection_to_acceptance_p99)"
}
stop_sims() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; pids=(); }

if [[ "${TENANTS_RUN:-1}" != 0 ]]; then
  stop_sims
  per=$(( transports / 4 ))
  # 1 tenant: the bridge reads only the test tenant (S4T~100, which holds most of a landscape's events).
  dir="$work/one"; start_sim "$dir" --generate-count $((per * 3 / 2)) --time-scale 1000000000
  for _ in $(seq 600); do { ato_stats "$dir" 2>/dev/null || true; } | grep -q '"generator_done":true' && break; sleep 0.5; done
  one_total=$(feed_events "$dir" "S4T~100")
  # The twelve tenants' feeds hold about as many events: three landscapes of all four tenants, each
  # landscape generating the share of transports that gives the test tenant's count (a longer drain
  # would spread the bridge's start over more events and flatter the twelve).
  landscape_total=$(feed_events "$dir")
  per_landscape=$(( per * 3 / 2 * one_total / landscape_total / 3 ))
  bridge_config "$dir" "$dir" "$dir:S4T~100"
  read -r one_rate one_p99 one_cpu < <(drain "$dir" "$one_total" "$dir")
  stop_sims
  # 12 tenants: three landscapes (A4D/A4T/A4P, B4..., C4...), one fake Cloud ALM, one bridge.
  alm="$work/alm"; start_sim "$alm" --only alm
  feeds=()
  for l in A B C; do
    # Each landscape its own seed: the same seed would give the same eventIds.
    SEED=$(printf '%d' "'$l") start_sim "$work/ato-$l" --only ato --sids "${l}4D,${l}4T,${l}4P" \
      --generate-count "$per_landscape" --time-scale 1000000000
    feeds+=("$work/ato-$l")
  done
  twelve_total=0
  for f in "${feeds[@]}"; do
    for _ in $(seq 600); do { ato_stats "$f" 2>/dev/null || true; } | grep -q '"generator_done":true' && break; sleep 0.5; done
    twelve_total=$((twelve_total + $(feed_events "$f")))
  done
  dir="$work/twelve"; mkdir -p "$dir"
  bridge_config "$dir" "$alm" "${feeds[@]}"
  read -r twelve_rate twelve_p99 twelve_cpu < <(drain "$dir" "$twelve_total" "$alm")
  stop_sims
  # The same comparison in a steady flow of ~1,000 events/s (x3600: an hour a second).
  dir="$work/one-steady"; start_sim "$dir" --generate-rate 3.5 --time-scale 3600
  bridge_config "$dir" "$dir" "$dir:S4T~100"
  read -r one_flow one_flow_p99 < <(steady "$dir" "$dir")
  stop_sims
  alm="$work/alm-steady"; start_sim "$alm" --only alm
  feeds=()
  for l in A B C; do
    SEED=$(printf '%d' "'$l") start_sim "$work/steady-$l" --only ato --sids "${l}4D,${l}4T,${l}4P" \
      --generate-rate 0.82 --time-scale 3600
    feeds+=("$work/steady-$l")
  done
  dir="$work/twelve-steady"; mkdir -p "$dir"
  bridge_config "$dir" "$alm" "${feeds[@]}"
  read -r twelve_flow twelve_flow_p99 < <(steady "$dir" "$alm")
  stop_sims
  echo "tenants (backlog drained, then a steady flow; p99 collection to acceptance):"
  printf "  %-44s %9s %9s %10s   %9s %9s\n" "" "backlog" "p99 ms" "bridge us" "flow/s" "p99 ms"
  printf "  %-44s %9s %9s %10s   %9s %9s\n" "1 tenant ($one_total events)" "$one_rate" "$one_p99" "$one_cpu" "$one_flow" "$one_flow_p99"
  printf "  %-44s %9s %9s %10s   %9s %9s\n" "12 tenants, 3 landscapes ($twelve_total events)" "$twelve_rate" "$twelve_p99" "$twelve_cpu" "$twelve_flow" "$twelve_flow_p99"
  echo "  (bridge us: the bridge's CPU per event while draining the backlog)"
  echo "ratio twelve_tenants_vs_one_events_per_s $(echo "scale=3; $twelve_rate / $one_rate" | bc)"
fi

echo
echo "events_per_s $rate"
echo "ratio bridge_e2e_vs_sqlite_floor $(echo "scale=3; $rate / $floor" | bc)"
echo "ratio rss_anonymous_75pct_vs_25pct $(echo "scale=3; $a3 / $a1" | bc)"
echo "ratio rss_total_75pct_vs_25pct $(echo "scale=3; $q3 / $q1" | bc)"
echo "latency_p99_ms_at_1000_events_per_s $p99"
