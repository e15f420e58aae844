#!/usr/bin/env bash
# bench/run loadtest: the most ato-bridge loadtest pushes into the fake Cloud ALM over TLS on
# 127.0.0.1, packages of 1, 10, 100 and 1000 events, with 1 and 4 connections (rate max, 5 s each).
# The simulator runs with its Landscape Management check off (not what is measured here).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build="${BUILD_DIR:-$root/build-bench}"
seconds="${SECONDS_EACH:-5s}"
source "$root/bench/lib/ato_sim.sh"
work=$(mktemp -d)
sim_pid=
cleanup() { [[ -n "$sim_pid" ]] && kill "$sim_pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
"$build/simulator/ato-sim" serve --ready-file "$work/ready.json" --no-lms-check --generate-count 1 --log-level warn \
  --max-package-size 1000 2>"$work/sim.log" &
sim_pid=$!
for _ in $(seq 200); do [[ -s "$work/ready.json" ]] && break; sleep 0.05; done
cat > "$work/bridge.json" <<CONF
{ "cloud_alm": {"service_key_file": "$work/ato-sim-service-key.json"},
  "ato": {"feed_url": "$(json_field "$work/ready.json" tenants.0.feed_url)", "user": "CALM_COMM_USER", "password": "unused"},
  "outbox": {"path": "$work/outbox.db"}, "tls": {"ca_file": "$work/ato-sim-ca.pem"} }
CONF
echo "machine: $(nproc) cores; ato-bridge loadtest --rate max for $seconds each, TLS, synthetic exports"
printf "%-10s %-12s %14s %14s %10s %10s\n" package connections "events/s" "packages/s" "p50 ms" "p99 ms"
for size in 1 10 100 1000; do
  for conns in 1 4; do
    "$build/bridge/ato-bridge" loadtest --config "$work/bridge.json" --duration "$seconds" --package-size "$size" \
      --connections "$conns" --report "$work/r.json" >/dev/null 2>&1
    printf "%-10s %-12s %14.0f %14.1f %10s %10s\n" "$size" "$conns" "$(json_field "$work/r.json" events_per_s)" \
      "$(json_field "$work/r.json" packages_per_s)" "$(json_field "$work/r.json" latency_ms.p50)" "$(json_field "$work/r.json" latency_ms.p99)"
  done
done
