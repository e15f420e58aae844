#!/usr/bin/env bash
# bench/run sim: push requests/s of the fake Cloud ALM against nginx answering the same POST.
# Same wrk load for both (1 KB JSON package, keep-alive, 2 threads, 64 connections, 10 s), all on
# 127.0.0.1: (a) nginx with one worker returning a fixed 202; (b) ato-sim --plain --threads 1's export path
# with a valid token, every request carrying new eventIds (bench/sim-push.lua), so the simulator
# parses, checks the token, deduplicates and updates transport state for real.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build="${BUILD_DIR:-$root/build-bench}"
duration="${DURATION:-10s}"
source "$root/bench/lib/install.sh"
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
pids+=($!)

# One thread, as nginx has one worker: like for like. On this 2-core machine wrk's two threads take
# the other core; a second simulator thread only fought them for it (measured: 36-37k requests/s
# with --threads 2, 43-46k with --threads 1, at more CPU per request).
"$build/simulator/ato-sim" serve --plain --no-lms-check --threads 1 --log-level warn --ready-file "$work/ready.json" &
pids+=($!)
for _ in $(seq 200); do [[ -s "$work/ready.json" ]] && break; sleep 0.05; done
alm_url=$(/usr/bin/python3 -c "import json;print(json.load(open('$work/ready.json'))['alm_url'])")
key="$work/ato-sim-service-key.json"
id=$(/usr/bin/python3 -c "import json;print(json.load(open('$key'))['uaa']['clientid'])")
secret=$(/usr/bin/python3 -c "import json;print(json.load(open('$key'))['uaa']['clientsecret'])")
export ATO_BENCH_TOKEN=$(curl -sS -u "$id:$secret" -d grant_type=client_credentials "$alm_url/oauth/token" |
  /usr/bin/python3 -c "import json,sys;print(json.load(sys.stdin)['access_token'])")
sleep 0.5

echo "machine: $(nproc) cores; wrk -t2 -c64 -d$duration, 1 KB JSON package, keep-alive"
wrk -t2 -c64 -d"$duration" -s "$root/bench/sim-push.lua" "http://127.0.0.1:$nginx_port/api/calm-deployments/v1/ato/exports" > "$work/nginx.out"
wrk -t2 -c64 -d"$duration" -s "$root/bench/sim-push.lua" "$alm_url/api/calm-deployments/v1/ato/exports" > "$work/sim.out"
nginx_rate=$(rate "$work/nginx.out"); sim_rate=$(rate "$work/sim.out")
echo "nginx (1 worker, fixed 202):        $nginx_rate requests/s"
echo "ato-sim --plain (real push work):   $sim_rate requests/s"
grep -E "Non-2xx|Socket errors" "$work/sim.out" | sed 's/^/  ato-sim: /' || true
stats=$(curl -sS "$alm_url/sim/stats")
/usr/bin/python3 - "$stats" <<'PY'
import json, sys
s = json.loads(sys.argv[1])
print(f"  ato-sim accepted {s['events_accepted']} events in {s['packages_received']} packages "
      f"({s['events_duplicate']} duplicates, {s['events_rejected']} rejected)")
PY
awk -v a="$sim_rate" -v b="$nginx_rate" 'BEGIN { printf "ratio sim_vs_nginx_push %.3f\n", a / b }'
