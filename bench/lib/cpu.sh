# shellcheck shell=bash
# Sourced by the benchmark scripts that print where the CPU went (sim, e2e): user + system CPU of
# running processes from /proc, so a figure per request or per event can be printed for each process.

# cpu_seconds PID...: the user + system CPU seconds the processes have used so far (0 for one gone).
cpu_seconds() {
  local ticks total=0 pid stat
  ticks=$(getconf CLK_TCK)
  for pid in "$@"; do
    stat=$(cat "/proc/$pid/stat" 2>/dev/null) || continue
    stat=${stat##*) }  # the command name may hold spaces: fields counted after its ')'
    read -r -a fields <<<"$stat"
    total=$(( total + fields[11] + fields[12] ))  # utime, stime: fields 14 and 15 of proc(5)
  done
  awk -v t="$total" -v hz="$ticks" 'BEGIN { printf "%.3f", t / hz }'
}

# per_unit_us CPU_SECONDS_BEFORE CPU_SECONDS_AFTER UNITS: microseconds of CPU per unit of work.
per_unit_us() { awk -v a="$1" -v b="$2" -v n="$3" 'BEGIN { printf "%.1f", (n > 0 ? (b - a) / n * 1e6 : 0) }'; }
