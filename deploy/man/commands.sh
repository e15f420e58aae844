#!/bin/sh
# The COMMANDS section of a man page for help2man --include: every command's --help, each under a
# subheading, in no-fill mode so the option tables keep their columns. Roff escapes: backslashes,
# minus signs (options copy as typed), and lines that would start with a request.
# usage: commands.sh ato-bridge            (`ato-bridge help --all`: every command)
#        commands.sh ato-sim serve sample-key   (each named subcommand's --help)
set -eu
program=$1
shift
name=$(basename "$program")
printf '[COMMANDS]\n'
{
  if [ $# -eq 0 ]; then
    "$program" help --all
  else
    for command in "$@"; do
      printf '\n%s %s\n' "$name" "$command"
      "$program" "$command" --help
    done
  fi
} | sed -e 's/\\/\\e/g' -e 's/-/\\-/g' -e "s/^\\([.']\\)/\\\\\\&\\1/" | awk -v name="$(printf '%s' "$name" | sed 's/-/\\\\-/g')" '
  index($0, name " ") == 1 && $0 ~ /^[^ ]+ [a-z]/ && prev == "" { if (open) print ".fi"; print ".SS " $0; print ".nf"; open = 1; prev = $0; next }
  { print; prev = $0 }
  END { if (open) print ".fi" }'
