#!/usr/bin/env bash
# The build was configured with every tool this machine has. scripts/demo configures build/ before
# scripts/test installs the tools only tests need (help2man among them); a build that never noticed
# ships a package without man pages. Each optional program CMake looks for must be found once it is
# on PATH.  Usage: check_build_tools.sh BUILD_DIR
set -euo pipefail
cache="$1/CMakeCache.txt"
[[ -f $cache ]] || { echo "no $cache"; exit 1; }
failed=0
for entry in HELP2MAN:help2man; do
  var=${entry%%:*} program=${entry#*:}
  value=$(sed -n "s/^$var:[A-Z]*=//p" "$cache")
  if command -v "$program" >/dev/null && [[ -z $value || $value == *-NOTFOUND ]]; then
    echo "FAIL: $program is at $(command -v "$program"), but the build was configured without it ($var=$value): configure again (scripts/setup does)"
    failed=1
  else
    echo "ok: $var=${value:-unset}"
  fi
done
exit $failed
