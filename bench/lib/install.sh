# shellcheck shell=bash
# Sourced by the benchmark scripts (bench/*.sh).
# install_bench_tools PACKAGE...: installs these Debian packages, the missing benchmark tools the
# caller found; nothing when none is named.
install_bench_tools() {
  (($#)) || return 0
  echo "installing $* (benchmark tools)"
  local sudo_cmd=()
  [[ $(id -u) -ne 0 ]] && sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq &&
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}
