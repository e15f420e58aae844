#!/usr/bin/env bash
# The Debian package, as scripts/package makes it, from this build: what it holds, lintian (no
# errors; warnings printed), the systemd unit (systemd-analyze verify). With
# ATO_TEST_INSTALL_PACKAGE=1, as root (CI sets it: a machine of its own), it is also installed with
# dpkg -i, run from /usr/bin, its user and directories checked, the installed unit verified, and
# purged again.
#   check_debian.sh BUILD_DIR
set -euo pipefail
build=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

(cd "$build" && cpack -B "$work/package" >/dev/null) || fail "cpack could not build the package"
deb=$(ls "$work"/package/ato-bridge_*.deb)
echo "built $(basename "$deb") ($(stat -c %s "$deb") bytes)"

contents=$(dpkg-deb -c "$deb" | awk '{print $6}')
for path in ./usr/bin/ato-bridge ./usr/bin/ato-sim ./lib/systemd/system/ato-bridge.service \
    ./usr/share/man/man1/ato-bridge.1.gz ./usr/share/man/man1/ato-sim.1.gz \
    ./usr/share/doc/ato-bridge/copyright ./usr/share/doc/ato-bridge/changelog.gz \
    ./usr/share/doc/ato-bridge/examples/bridge.json ./etc/ato-bridge/; do
  grep -qxF "$path" <<<"$contents" || fail "the package lacks $path"
done
# ato-bridge(1) carries every command's options, FILES and ENVIRONMENT (made by help2man from
# `ato-bridge help --all` and deploy/man/ato-bridge.h2m).
mkdir -p "$work/root" && dpkg-deb -x "$deb" "$work/root"
page=$(zcat "$work/root/usr/share/man/man1/ato-bridge.1.gz")
for want in '.SH FILES' '.SH ENVIRONMENT' '.SH COMMANDS' '.SS ato\-bridge dead\-letters list' '.SS ato\-bridge loadtest merge' \
    '\-\-shard' 'ATO_BRIDGE_CONFIG' '/etc/ato-bridge/ato-bridge.env'; do
  grep -qF -- "$want" <<<"$page" || fail "ato-bridge(1) lacks '$want'"
done
if command -v man >/dev/null; then
  warnings=$(MANWIDTH=100 man --warnings -l "$work/root/usr/share/man/man1/ato-bridge.1.gz" 2>&1 >/dev/null || true)
  [[ -z "$warnings" ]] || fail "man warns about ato-bridge(1): $warnings"
fi
echo "ato-bridge(1): COMMANDS, FILES and ENVIRONMENT and every command's options"
# ato-sim(1) the same way (deploy/man/ato-sim.h2m, each subcommand's --help).
page=$(zcat "$work/root/usr/share/man/man1/ato-sim.1.gz")
for want in '.SH FILES' '.SH ENVIRONMENT' '.SH COMMANDS' '.SS ato\-sim serve' '.SS ato\-sim sample\-key' \
    '\-\-faults' '\-\-imports' 'ato\-sim\-service\-key.json'; do
  grep -qF -- "$want" <<<"$page" || fail "ato-sim(1) lacks '$want'"
done
if command -v man >/dev/null; then
  warnings=$(MANWIDTH=100 man --warnings -l "$work/root/usr/share/man/man1/ato-sim.1.gz" 2>&1 >/dev/null || true)
  [[ -z "$warnings" ]] || fail "man warns about ato-sim(1): $warnings"
fi
echo "ato-sim(1): COMMANDS, FILES and ENVIRONMENT and every subcommand's options"
depends=$(dpkg-deb -f "$deb" Depends)
for lib in adduser libssl3 libsqlite3-0 libsystemd0; do
  grep -q "$lib" <<<"$depends" || fail "Depends lacks $lib: $depends"
done

tags=$(lintian "$deb" 2>/dev/null || true)
if grep -q '^E:' <<<"$tags"; then fail "lintian errors:"$'\n'"$tags"; fi
echo "lintian: no errors; warnings: $(grep -c '^W:' <<<"$tags" || true)"
grep '^W:' <<<"$tags" || true

# The unit as packaged, pointed at the packaged binary (systemd-analyze checks ExecStart exists).
dpkg-deb -x "$deb" "$work/root"
sed "s|/usr/bin/ato-bridge|$work/root/usr/bin/ato-bridge|" "$work/root/lib/systemd/system/ato-bridge.service" \
  >"$work/ato-bridge.service"
systemd-analyze verify --man=no "$work/ato-bridge.service" || fail "systemd-analyze verify found problems"
echo "unit verified"
"$work/root/usr/bin/ato-bridge" --version | head -1 | grep -q '^ato-bridge ' || fail "the packaged ato-bridge does not run"

if [[ "${ATO_TEST_INSTALL_PACKAGE:-}" != 1 || $(id -u) -ne 0 ]]; then
  echo "not installed: set ATO_TEST_INSTALL_PACKAGE=1 and run as root to dpkg -i it here (CI does)"
  exit 0
fi
if dpkg-query -W ato-bridge >/dev/null 2>&1; then fail "ato-bridge is installed on this machine already; not touching it"; fi
trap 'dpkg --purge ato-bridge >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
dpkg -i "$deb" >/dev/null || fail "dpkg -i failed"
/usr/bin/ato-bridge --version | head -1
getent passwd ato-bridge >/dev/null || fail "no ato-bridge user after installing"
[[ $(stat -c '%U:%G %a' /etc/ato-bridge) == "root:ato-bridge 750" ]] ||
  fail "/etc/ato-bridge is $(stat -c '%U:%G %a' /etc/ato-bridge), expected root:ato-bridge 750"
systemd-analyze verify --man=no /lib/systemd/system/ato-bridge.service || fail "the installed unit does not verify"
man -w ato-bridge >/dev/null 2>&1 || [[ -f /usr/share/man/man1/ato-bridge.1.gz ]] || fail "no man page installed"
# The README's service steps: the example configuration and a key 0640 root:ato-bridge. The service's
# user reads the key without a warning (the advice and the check agree).
cp /usr/share/doc/ato-bridge/examples/bridge.json /etc/ato-bridge/
"$work/root/usr/bin/ato-sim" sample-key --out "$work/service-key.json" >/dev/null
install -m 0640 -g ato-bridge "$work/service-key.json" /etc/ato-bridge/
checked=$(cd / && setpriv --reuid=ato-bridge --regid=ato-bridge --init-groups env ATO_PASSWORD_S4D_080=x   ATO_PASSWORD_S4T_100=x ATO_PASSWORD_S4P_100=x /usr/bin/ato-bridge config check 2>&1) ||
  fail "config check of the example as the service's user failed: $checked"
! grep -qi "warning" <<<"$checked" || fail "config check of the example warns: $checked"
dpkg --purge ato-bridge >/dev/null || fail "dpkg --purge failed"
[[ ! -e /etc/ato-bridge ]] || fail "/etc/ato-bridge left after purge: $(ls -ln /etc/ato-bridge)"
[[ ! -e /usr/bin/ato-bridge ]] || fail "/usr/bin/ato-bridge left after purge"
! getent passwd ato-bridge >/dev/null || fail "the ato-bridge user left after purge"
echo "installed with dpkg -i, ran from /usr/bin, unit verified, purged"
