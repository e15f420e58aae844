#!/bin/sh
# The COMMANDS section of ato-bridge(1) for help2man --include: every command's --help
# (`ato-bridge help --all`), each under a subheading, in no-fill mode so the option tables keep
# their columns. Roff escapes: backslashes, minus signs (options copy as typed), and lines that
# would start with a request.
# usage: commands.sh ATO_BRIDGE > commands.h2m
set -eu
printf '[COMMANDS]\n'
"$1" help --all | sed -e 's/\\/\\e/g' -e 's/-/\\-/g' -e "s/^\\([.']\\)/\\\\\\&\\1/" | awk '
  /^ato\\-bridge [a-z]/ && prev == "" { if (open) print ".fi"; print ".SS " $0; print ".nf"; open = 1; prev = $0; next }
  { print; prev = $0 }
  END { if (open) print ".fi" }'
