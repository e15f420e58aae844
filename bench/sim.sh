#!/usr/bin/env bash
# bench/run sim: push requests/s of the fake Cloud ALM against nginx answering the same POST.
# Same wrk load for both (1 KB JSON package, keep-alive, 2 threads, 64 connections, 10 s), all on
# 127.0.0.1: (a) nginx with one worker returning a fixed 202; (b) ato-sim --plain --threads 1's export path
# with a valid token, every request carrying new eventIds (bench/sim-push.lua), so the simulator
# parses, checks the token, deduplicates and updates transport state for real.
# The two loads alternate for ROUNDS rounds (default 3), each sim round against a freshly started
# simulator, as in a single run: the ratio printed is the median of the rounds' ratios, as one
# 10 s sample on a shared machine swings by a tenth or more. Each round also prints the CPU (user +
# system) each server spent per request: the split a profile starts from.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build="${BUILD_DIR:-$root/build-bench}"
duration="${DURATION:-10s}"
rounds="${ROUNDS:-3}"
source "$root/bench/lib/install.sh"
source "$root/bench/lib/ato_sim.sh"
source "$root/bench/lib/cpu.sh"
need=()
command -v wrk >/dev/null || need+=(wrk)
[[ -x /usr/sbin/nginx ]] || need+=(nginx-light)
install_bench_tools "${need[@]}"

work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
rate() { awk '/^Requests\/sec:/ {print $2}' "$1"; }
requests() { awk '/ requests in / {print $1}' "$1"; }  # how many wrk completed

nginx_port=$(free_port)
mkdir -p "$work/nginx"
cat > "$work/nginx/nginx.conf" <<CONF
worker_processes 1;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $work/nginx;
  server {
    listen 127.0.0.1:$nginx_port;
    location / { return 202 '{"accepted":true}'; }
  }
}
CONF
/usr/sbin/nginx -c "$work/nginx/nginx.conf" -g 'daemon off;' &
nginx_pid=$!
pids+=("$nginx_pid")

# One thread, as nginx has one worker: like for like. On this 2-core machine wrk's two threads take
# the other core; a second simulator thread only fought them for it (measured: 36-37k requests/s
# with --threads 2, 43-46k with --threads 1, at more CPU per request).
start_sim() {  # a fresh ato-sim per round (a fresh process, as a single run has), and its token
  rm -f "$work/ready.json"
  "$build/simulator/ato-sim" serve --plain --no-lms-check --threads 1 --log-level warn --ready-file "$work/ready.json" &
  sim_pid=$!
  pids+=("$sim_pid")
  for _ in $(seq 200); do [[ -s "$work/ready.json" ]] && break; sleep 0.05; done
  [[ -s "$work/ready.json" ]] || { echo "ato-sim did not start" >&2; exit 1; }
  alm_url=$(json_field "$work/ready.json" alm_url)
  ATO_BENCH_TOKEN=$(sim_token "$work")
  export ATO_BENCH_TOKEN
  sleep 0.5
}
stop_sim() { kill "$sim_pid" 2>/dev/null || true; wait "$sim_pid" 2>/dev/null || true; }

echo "machine: $(nproc) cores; wrk -t2 -c64 -d$duration, 1 KB JSON package, keep-alive; $rounds alternating rounds"
ratios=()
accepted_line() {  # what this round's simulator accepted
  curl -sS "$alm_url/sim/stats" | /usr/bin/python3 -c "import json,sys
s = json.load(sys.stdin)
print(f\"{s['events_accepted']} events accepted in {s['packages_received']} packages ({s['events_duplicate']} duplicates, {s['events_rejected']} rejected)\")"
}
for round in $(seq "$rounds"); do
  export ATO_BENCH_ROUND=$round
  start_sim  # first: nginx's requests carry the same bearer token as the simulator's
  nginx_processes=("$nginx_pid" $(pgrep -P "$nginx_pid"))  # the master and its worker
  cpu_before=$(cpu_seconds "${nginx_processes[@]}")
  wrk -t2 -c64 -d"$duration" -s "$root/bench/sim-push.lua" "http://127.0.0.1:$nginx_port/api/calm-deployments/v1/ato/exports" > "$work/nginx.out"
  nginx_cpu_us=$(per_unit_us "$cpu_before" "$(cpu_seconds "${nginx_processes[@]}")" "$(requests "$work/nginx.out")")
  cpu_before=$(cpu_seconds "$sim_pid")
  wrk -t2 -c64 -d"$duration" -s "$root/bench/sim-push.lua" "$alm_url/api/calm-deployments/v1/ato/exports" > "$work/sim.$round.out"
  sim_cpu_us=$(per_unit_us "$cpu_before" "$(cpu_seconds "$sim_pid")" "$(requests "$work/sim.$round.out")")
  nginx_rate=$(rate "$work/nginx.out"); sim_rate=$(rate "$work/sim.$round.out")
  ratios+=("$(awk -v a="$sim_rate" -v b="$nginx_rate" 'BEGIN { printf "%.3f", a / b }')")
  echo "round $round: nginx (1 worker, fixed 202) $nginx_rate requests/s; ato-sim --plain (real push work) $sim_rate requests/s; sim/nginx ${ratios[-1]}"
  echo "  CPU per request (user + system): nginx $nginx_cpu_us us, ato-sim $sim_cpu_us us"
  echo "  ato-sim: $(accepted_line)"
  grep -E "Non-2xx|Socket errors" "$work/sim.$round.out" | sed 's/^/  ato-sim: /' || true
  stop_sim
done
printf '%s\n' "${ratios[@]}" | sort -n | awk '{ r[NR] = $1 } END { printf "ratio sim_vs_nginx_push %s\n", r[int((NR + 1) / 2)] }'
