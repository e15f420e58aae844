#!/usr/bin/env bash
# bench/run sim-instructions: user-space instructions per push request of ato-sim --plain --threads 1,
# counted by callgrind around a fixed wrk load (1 thread, 4 connections, the requests of
# bench/sim-push.lua). Wall-clock figures on a shared machine swing by a fifth; this count moves by a
# few percent, so it shows what a change to the push path costs. Prints the count and the functions
# that cost the most. Environment: DURATION (default 8s); KEEP_DIR (a folder that receives the
# callgrind output, for callgrind_annotate --inclusive=yes).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build="${BUILD_DIR:-$root/build-bench}"
duration="${DURATION:-8s}"
source "$root/bench/lib/install.sh"
source "$root/bench/lib/ato_sim.sh"
need=()
command -v wrk >/dev/null || need+=(wrk)
command -v valgrind >/dev/null || need+=(valgrind)
install_bench_tools "${need[@]}"

work=$(mktemp -d)
sim_pid=
cleanup() { [[ -n "$sim_pid" ]] && kill "$sim_pid" 2>/dev/null; wait 2>/dev/null || true; [[ -n "${KEEP_DIR:-}" ]] && cp -r "$work"/. "$KEEP_DIR"/; rm -rf "$work"; }
trap cleanup EXIT

# Instrumentation starts off: start-up (key generation, listeners) is not counted.
valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$work/callgrind.out" \
  "$build/simulator/ato-sim" serve --plain --no-lms-check --threads 1 --log-level warn \
  --ready-file "$work/ready.json" 2>"$work/valgrind.log" &
sim_pid=$!
for _ in $(seq 600); do [[ -s "$work/ready.json" ]] && break; sleep 0.1; done
[[ -s "$work/ready.json" ]] || { echo "ato-sim did not start under valgrind" >&2; cat "$work/valgrind.log" >&2; exit 1; }
alm_url=$(json_field "$work/ready.json" alm_url)
ATO_BENCH_TOKEN=$(sim_token "$work")
export ATO_BENCH_TOKEN
push_url="$alm_url/api/calm-deployments/v1/ato/exports"
wrk -t1 -c4 -d2s -s "$root/bench/sim-push.lua" "$push_url" >/dev/null  # warm-up, not counted
callgrind_control --instr=on "$sim_pid" >/dev/null 2>&1
# New eventIds, above the warm-up's: duplicates would take a shorter path.
ATO_BENCH_ROUND=1 wrk -t1 -c4 -d"$duration" -s "$root/bench/sim-push.lua" "$push_url" >"$work/wrk.out"
callgrind_control --instr=off "$sim_pid" >/dev/null 2>&1
callgrind_control --dump "$sim_pid" >/dev/null 2>&1
for _ in $(seq 100); do compgen -G "$work/callgrind.out.*" >/dev/null && break; sleep 0.1; done
dump=$(compgen -G "$work/callgrind.out.*" | head -1)
requests=$(awk '/requests in/ {print $1}' "$work/wrk.out")
callgrind_annotate "$dump" >"$work/annotated.txt" 2>/dev/null
instructions=$(awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1; exit}' "$work/annotated.txt")
echo "wrk -t1 -c4 -d$duration against ato-sim --plain --threads 1 under callgrind: $requests push requests"
echo "the most expensive functions (their own instructions, share of the total):"
awk '/file:function/ {f=1; getline; next} f && NF && n++ < 12' "$work/annotated.txt" |
  sed -E 's/^ *[0-9,]+ +\( *([0-9.]+%)\) +(\?\?\?|[^:]*):/  \1  /; s/\(.*//' | cut -c1-110
echo
echo "sim_instructions_per_push_request $((instructions / requests))"
