#!/usr/bin/env bash
# bench/run e2e: the bridge end to end, simulator feed -> bridge -> fake Cloud ALM, over TLS on
# 127.0.0.1, packages of 100, durability normal.
#   1. floor: bare SQLite enqueueing (batches of 1000) then claiming and deleting (packages of 100)
#      the same number of events on the same disk, measured now: the physical floor of a durable queue.
#   2. backlog: a landscape of ~1,000,000 events is in the feed before the bridge starts (--backfill);
#      events/s from start to the last acceptance, the bridge's RSS sampled while the backlog drains.
#   3. steady flow: ~1,000 events/s, the schedule (1s) not the bottleneck: collection-to-acceptance
#      latency percentiles from the bridge's own histogram.
# Environment: TRANSPORTS (default 106000, ~1M events), STEADY_SECONDS (default 20).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build="${BUILD_DIR:-$root/build-bench}"
transports="${TRANSPORTS:-106000}"
steady_seconds="${STEADY_SECONDS:-20}"
py=/usr/bin/python3
source "$root/bench/lib/ato_sim.sh"

work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

fetch() { curl -sS --max-time 10 --cacert "$1/ato-sim-ca.pem" "${@:2}"; }

start_sim() {  # dir, extra args...
  local dir=$1; shift
  mkdir -p "$dir"
  "$build/simulator/ato-sim" serve --ready-file "$dir/ready.json" --log-level warn --threads 1 --seed 5 "$@" \
    2>"$dir/sim.log" &
  pids+=($!)
  for _ in $(seq 400); do [[ -s "$dir/ready.json" ]] && return; sleep 0.05; done
  echo "ato-sim did not start" >&2; cat "$dir/sim.log" >&2; exit 1
}
ato_stats() { fetch "$1" -u "$(json_field "$1/ready.json" ato_user):$(json_field "$1/ready.json" ato_password)" "$(json_field "$1/ready.json" ato_url)/sim/ato/stats"; }
accepted() { fetch "$1" "$(json_field "$1/ready.json" alm_url)/sim/stats" | $py -c "import json,sys;print(json.load(sys.stdin)['events_accepted'])"; }

bridge_config() {  # dir
  cat > "$1/bridge.json" <<CONF
{ "cloud_alm": {"service_key_file": "$1/ato-sim-service-key.json"},
  "ato": {"feed_url": "$(json_field "$1/ready.json" ato_feed_url)", "user": "$(json_field "$1/ready.json" ato_user)", "password_env": "ATO_BENCH_PASSWORD"},
  "services": {"export": {"run_every": "1s"}, "import": {"run_every": "1s"}, "status_change": {"run_every": "1s"}, "retry": {"run_every": "5s"}},
  "outbox": {"path": "$1/outbox.db", "durability": "normal"},
  "tls": {"ca_file": "$1/ato-sim-ca.pem"}, "push": {"connections": 4},
  "admin": {"listen": "127.0.0.1:0"}, "log": {"level": "warn"} }
CONF
}
start_bridge() {  # dir (registers the landscape's systems first, as an operator would)
  ATO_BENCH_PASSWORD=$(json_field "$1/ready.json" ato_password) "$build/bridge/ato-bridge" register --config "$1/bridge.json" \
    > "$1/register.log"
  ATO_BENCH_PASSWORD=$(json_field "$1/ready.json" ato_password) "$build/bridge/ato-bridge" run --config "$1/bridge.json" --backfill \
    2>"$1/bridge.log" &
  bridge_pid=$!
  pids+=("$bridge_pid")
}
rss_mb() { awk '/^VmRSS/ {printf "%.0f", $2/1024}' "/proc/$1/status" 2>/dev/null || echo 0; }
anon_mb() { awk '/^RssAnon/ {printf "%.0f", $2/1024}' "/proc/$1/status" 2>/dev/null || echo 0; }
hwm_mb() { awk '/^VmHWM/ {printf "%.0f", $2/1024}' "/proc/$1/status" 2>/dev/null || echo 0; }

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"

# --- 2 first: the backlog (its size sets the floor's) ---------------------------------------------
dir="$work/backlog"
start_sim "$dir" --generate-count "$transports" --time-scale 1000000000
# (the generator keeps the simulator busy: a stats request may time out meanwhile)
for _ in $(seq 600); do { ato_stats "$dir" 2>/dev/null || true; } | grep -q '"generator_done":true' && break; sleep 0.5; done
total=$(ato_stats "$dir" | $py -c "import json,sys;print(json.load(sys.stdin)['head_sequence'])")

# --- 1. the floor, same number of events --------------------------------------------------------
floor=$("$build/bench/bench_outbox" --floor "$total" "$work/floor" | awk '/^floor_events_per_s/ {print $2}')
echo "floor: bare SQLite enqueue (batches of 1000) + claim/delete (packages of 100) of $total events: $floor events/s"

bridge_config "$dir"
echo "backlog: $total events in the feed; bridge: packages of 100, 4 connections (8 push workers), TLS, durability normal"
start=$(date +%s.%N)
start_bridge "$dir"
samples=()
last_print=0
for _ in $(seq 3000); do
  sleep 0.2
  n=$(accepted "$dir" 2>/dev/null || echo "${n:-0}")
  now=$(date +%s.%N)
  rss=$(rss_mb "$bridge_pid")
  anon=$(anon_mb "$bridge_pid")
  samples+=("$n:$rss:$anon")
  if (( $(echo "$now - $last_print > 10" | bc) )); then
    printf "  %6.1f s  accepted %8d  bridge RSS %4d MB (anonymous %d MB)\n" "$(echo "$now - $start" | bc)" "$n" "$rss" "$anon"
    last_print=$now
  fi
  [[ "$n" -ge "$total" ]] && break
done
elapsed=$(echo "$(date +%s.%N) - $start" | bc)
[[ "$n" -ge "$total" ]] || { echo "the backlog did not drain (accepted $n of $total)" >&2; tail -20 "$dir/bridge.log" >&2; exit 1; }
rate=$(echo "$total / $elapsed" | bc)
admin=$(json_field "$dir/outbox.db.run.json" admin_url)
curl -sS "$admin/status" > "$dir/status.json"
hwm=$(hwm_mb "$bridge_pid")
# RSS at a quarter, half and three quarters of the drain: flat means no growth with the backlog.
printf '%s\n' "${samples[@]}" > "$work/samples"
rss_at() { awk -F: -v want="$(echo "$1 * $total / 1" | bc)" -v col="$2" '$1 >= want { print $col; exit }' "$work/samples"; }
q1=$(rss_at 0.25 2); q2=$(rss_at 0.5 2); q3=$(rss_at 0.75 2)
a1=$(rss_at 0.25 3); a2=$(rss_at 0.5 3); a3=$(rss_at 0.75 3)
kill -TERM "$bridge_pid"; wait "$bridge_pid" 2>/dev/null || true
echo "backlog drained: $total events in $(printf %.1f "$elapsed") s = $rate events/s"
echo "bridge RSS while draining: ${q1} MB at 25%, ${q2} MB at 50%, ${q3} MB at 75%; peak ${hwm} MB"
echo "  of which anonymous (heap, SQLite page cache): ${a1} MB, ${a2} MB, ${a3} MB; the rest is the outbox file"
echo "  mapped by SQLite (mmap_size caps it at 256 MB; page cache the kernel can reclaim)"
echo "collection-to-acceptance while draining a backlog (queueing included): p50 $(json_field "$dir/status.json" latency_ms.collection_to_acceptance_p50) ms, p99 $(json_field "$dir/status.json" latency_ms.collection_to_acceptance_p99) ms"
kill "${pids[0]}" 2>/dev/null || true

# --- 3. a steady flow of ~1,000 events/s ------------------------------------------------------------
dir="$work/steady"
# At x3600 (an hour per second) a transport's lifecycle takes seconds. 2.47 transports per landscape
# minute gives 974-1,002 events/s measured over the window (transports started earlier are still
# producing events: the flow is below rate x events per transport in the first minutes).
start_sim "$dir" --generate-rate 2.47 --time-scale 3600
bridge_config "$dir"
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

echo
echo "events_per_s $rate"
echo "ratio bridge_e2e_vs_sqlite_floor $(echo "scale=3; $rate / $floor" | bc)"
echo "ratio rss_anonymous_75pct_vs_25pct $(echo "scale=3; $a3 / $a1" | bc)"
echo "ratio rss_total_75pct_vs_25pct $(echo "scale=3; $q3 / $q1" | bc)"
echo "latency_p99_ms_at_1000_events_per_s $p99"
