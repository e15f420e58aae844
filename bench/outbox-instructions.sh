#!/usr/bin/env bash
# bench/run outbox-instructions: instructions per event of the bridge's outbox (bench_outbox --drain:
# stored in batches of 1000, then claimed and settled in packages of 100), counted by callgrind in
# each half. Wall-clock figures on a shared machine swing by a fifth from one run to the next; this
# count moves by well under one percent, so it shows what a change to the outbox costs. It counts
# instructions, not cache misses or the kernel's writes. Environment: EVENTS (default 50000);
# KEEP_DIR (a folder that receives the callgrind output, for callgrind_annotate --inclusive=yes).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build="${BUILD_DIR:-$root/build-bench}"
events="${EVENTS:-50000}"
source "$root/bench/lib/install.sh"
command -v valgrind >/dev/null || install_bench_tools valgrind

work=$(mktemp -d)
cleanup() { [[ -n "${KEEP_DIR:-}" ]] && cp -r "$work"/. "$KEEP_DIR"/; rm -rf "$work"; }
trap cleanup EXIT

# Only the two halves are counted: opening the outbox, migrations and closing are not.
valgrind --tool=callgrind --callgrind-out-file="$work/callgrind.out" \
  --toggle-collect='*outbox_enqueue*' --toggle-collect='*outbox_claim_settle*' \
  "$build/bench/bench_outbox" --drain "$events" "$work/db" >"$work/drain.out" 2>"$work/valgrind.log" ||
  { echo "bench_outbox --drain failed under valgrind" >&2; cat "$work/drain.out" "$work/valgrind.log" >&2; exit 1; }
callgrind_annotate --inclusive=yes "$work/callgrind.out" >"$work/annotated.txt" 2>/dev/null
callgrind_annotate "$work/callgrind.out" >"$work/self.txt" 2>/dev/null
inclusive() {  # the inclusive instructions of the function whose name matches $1
  awk -v f="$1" 'index($0, f) && /^ *[0-9,]+/ {gsub(",", "", $1); print $1; exit}' "$work/annotated.txt"
}
stored=$(inclusive 'outbox_enqueue(')
claimed=$(inclusive 'outbox_claim_settle(')
[[ -n "$stored" && -n "$claimed" ]] || { echo "no counts for the two halves in callgrind's output" >&2; exit 1; }
echo "bench_outbox --drain $events under callgrind: $(cat "$work/drain.out")"
echo "the most expensive functions of both halves (their own instructions, share of the total):"
awk '/file:function/ {f=1; getline; next} f && NF && n++ < 14' "$work/self.txt" |
  sed -E 's/^ *[0-9,]+ +\( *([0-9.]+%)\) +(\?\?\?|[^:]*):/  \1  /; s/\(.*//' | cut -c1-110
echo
echo "outbox_instructions_per_event_store $((stored / events))"
echo "outbox_instructions_per_event_claim_settle $((claimed / events))"
