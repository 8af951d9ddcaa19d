#!/usr/bin/env bash
# The .deb (cpack -G DEB), as an operator gets it:
#  - its control data: Depends read off the binaries, Conflicts coturn, the conffiles, the
#    maintainer scripts; its files: the three binaries, the unit, /etc/turnserver.conf, the
#    fail2ban filter and jail, the Grafana dashboard, the man pages (which groff renders
#    without a warning);
#  - installed with `apt-get install ./turnd_*.deb` in a clean Debian 12 container (the slim
#    image's dpkg excludes dropped, as on a real host): the turnd user and /var/lib/turnd exist,
#    `turnd --check-config` passes on the installed config, `systemd-analyze verify` passes on
#    the unit (its binaries and man pages present), turnd starts as the turnd user and answers
#    turnctl probe, `man turnd` finds the page; purge removes the config and the state.
# Needs root and podman. Usage: deb_test.sh /path/to/turnd_VERSION_ARCH.deb
set -euo pipefail
DEB=$(realpath "${1:?usage: $0 /path/to/turnd_VERSION_ARCH.deb}")
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
command -v podman >/dev/null || { echo "FAIL: podman is not installed (scripts/setup.sh --tests)"; exit 1; }
. "$ROOT/scripts/container/podman_env.sh"
bash "$ROOT/scripts/container/make_base_image.sh"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
failures=0
pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# Control data and files.
dpkg-deb -f "$DEB" Depends >"$WORK/depends"
for dep in adduser libuv1 libssl3 libprometheus-cpp-pull1.0 libsqlite3-0; do
  grep -q "$dep" "$WORK/depends" || fail "Depends lacks $dep: $(cat "$WORK/depends")"
done
[ "$(dpkg-deb -f "$DEB" Conflicts)" = coturn ] && pass "Depends: $(cat "$WORK/depends"); Conflicts: coturn" ||
  fail "Conflicts is '$(dpkg-deb -f "$DEB" Conflicts)'"
dpkg-deb -e "$DEB" "$WORK/control"
for f in /etc/turnserver.conf /etc/fail2ban/filter.d/turnd.conf /etc/fail2ban/jail.d/turnd.conf; do
  grep -qx "$f" "$WORK/control/conffiles" || fail "$f is not a conffile"
done
for s in postinst prerm postrm; do [ -x "$WORK/control/$s" ] || fail "no executable $s"; done
dpkg-deb -c "$DEB" | awk '{print $6}' | sed 's|^\.||' >"$WORK/files"
for f in /usr/bin/turnd /usr/bin/turnadmin /usr/bin/turnctl /lib/systemd/system/turnd.service \
  /etc/turnserver.conf /usr/share/man/man8/turnd.8 /usr/share/man/man8/turnctl.8 \
  /usr/share/man/man1/turnadmin.1 /usr/share/turnd/grafana/turnd.json; do
  grep -qx "$f" "$WORK/files" || fail "the package lacks $f"
done
pass "control data and files: $(wc -l <"$WORK/files") entries, conffiles $(tr '\n' ' ' <"$WORK/control/conffiles")"
dpkg-deb -x "$DEB" "$WORK/root"
for page in man8/turnd.8 man8/turnctl.8 man1/turnadmin.1; do
  warnings=$(groff -man -ww -z "$WORK/root/usr/share/man/$page" 2>&1 || true)
  [ -z "$warnings" ] && pass "$page renders without warnings" || fail "$page: $warnings"
done
if grep -q "^\.B \\\\-\\\\-listening\\\\-port" "$WORK/root/usr/share/man/man8/turnd.8" &&
   grep -q "redis\\\\-userdb" "$WORK/root/usr/share/man/man8/turnd.8"; then
  pass "turnd(8) lists the loader's options (listening-port, and coturn's redis-userdb)"
else
  fail "turnd(8) does not list the loader's options"
fi

# Installed in a clean Debian 12, as a host would have it.
PORT=$((30000 + RANDOM % 5000))
cat >"$WORK/in-container.sh" <<'SCRIPT'
set -eu
PORT=$1
rm -f /etc/dpkg/dpkg.cfg.d/docker  # the slim image drops man pages; a host does not
apt-get update -q >/tmp/apt.log 2>&1
DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends /pkg/*.deb systemd man-db \
  >>/tmp/apt.log 2>&1 || { tail -20 /tmp/apt.log; exit 1; }
echo "installed: $(dpkg-query -W -f='${Package} ${Version} ${Status}' turnd)"
echo "user: $(id turnd)"
echo "state: $(stat -c '%U:%G %a' /var/lib/turnd)"
turnd --check-config -c /etc/turnserver.conf | tail -1
systemd-analyze verify /lib/systemd/system/turnd.service && echo "systemd-analyze verify: ok"
man -w turnd turnctl turnadmin | tr '\n' ' ' | sed 's/^/man pages: /'; echo
setpriv --reuid=turnd --regid=turnd --init-groups turnd -c /etc/turnserver.conf --listening-ip 127.0.0.1 --listening-port "$PORT" \
  --relay-threads 1 >/tmp/turnd.log 2>&1 &
pid=$!
ok=""
for _ in $(seq 1 50); do
  if turnctl -c /etc/turnserver.conf probe --server "127.0.0.1:$PORT" --timeout-ms 500 >/tmp/probe 2>&1; then ok=1; break; fi
  sleep 0.1
done
cat /tmp/probe
echo "running as: $(ps -o user= -p "$pid")"
kill -TERM "$pid"
status=0
wait "$pid" || status=$?
echo "stopped: exit $status"; tail -3 /tmp/turnd.log
[ -n "$ok" ]
DEBIAN_FRONTEND=noninteractive apt-get purge -y -q turnd >>/tmp/apt.log 2>&1
[ ! -e /etc/turnserver.conf ] && [ ! -e /var/lib/turnd ] && echo "purged: config and state gone"
SCRIPT
if podman run --rm --network host -v "$(dirname "$DEB"):/pkg:ro" -v "$WORK/in-container.sh:/test.sh:ro" \
     debian:bookworm-slim bash /test.sh "$PORT" >"$WORK/container.log" 2>&1; then :; fi
sed 's/^/  | /' "$WORK/container.log"
for want in "installed: turnd .* install ok installed" "user: uid=.*(turnd) gid=.*(turnd)" \
  "state: turnd:turnd 750" "# configuration OK (/etc/turnserver.conf)" "systemd-analyze verify: ok" \
  "man pages: /usr/share/man/man8/turnd.8" "^ok: udp 127.0.0.1:$PORT answered" "running as: turnd" \
  "stopped: exit 0" "purged: config and state gone"; do
  grep -q "$want" "$WORK/container.log" && pass "in a clean Debian 12: $want" ||
    fail "in a clean Debian 12: no '$want'"
done

[ "$failures" = 0 ] && echo "deb: all checks passed" && exit 0
echo "deb: $failures check(s) failed"
exit 1
