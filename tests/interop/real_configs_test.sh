#!/usr/bin/env bash
# Real-world configurations start and serve: the conf/ examples, Debian's coturn
# /etc/turnserver.conf, and an rfc5766-turn-server-style file with a flat userdb. Addresses the
# files name that this host does not have are overridden on the command line (which wins over
# the file, as in coturn); everything else comes from the file.
# Usage: real_configs_test.sh /path/to/turnd
set -euo pipefail
TURND=${1:?usage: $0 /path/to/turnd}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT="$HERE/../.."
WORK=$(mktemp -d)
PID=""
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT
passed=0 failed=0
# coturn's process flags: --version prints the version and exits 0.
if version=$("$TURND" --version) && [[ "$version" == "turnd "[0-9]* ]]; then
  echo "PASS: --version: $version"; passed=$((passed + 1))
else
  echo "FAIL: --version: ${version:-nothing}"; failed=$((failed + 1))
fi
PEER_PORT=$((38000 + RANDOM % 1000))
turnutils_peer -L 127.0.0.1 -p "$PEER_PORT" >/dev/null 2>&1 &
PEER_PID=$!
trap 'cleanup; kill $PEER_PID 2>/dev/null' EXIT

# serve NAME CONFIG [uclient args...]: start turnd on CONFIG (port and addresses overridden),
# check --check-config, a Binding (turnutils_stunclient), and with uclient args a relayed run.
serve() {
  local name=$1 conf=$2; shift 2
  local port=$((39000 + RANDOM % 1000)) ok=1 log="$WORK/turnd-$((passed + failed)).log"
  local overrides=(--listening-ip 127.0.0.1 --listening-port "$port" --relay-ip 127.0.0.1
                   --allow-loopback-peers --log-file stdout --no-stdout-log=off --syslog=off
                   --pidfile "$WORK/turnd.pid")
  if ! "$TURND" --check-config -c "$conf" "${overrides[@]}" >"$WORK/check.log" 2>&1; then
    echo "FAIL: $name: --check-config"; tail -3 "$WORK/check.log"; failed=$((failed + 1)); return
  fi
  # The port is drawn from the ephemeral range: another program may hold it. Try another then.
  for _ in 1 2 3 4 5; do
    "$TURND" -c "$conf" "${overrides[@]}" >"$log" 2>&1 &
    PID=$!
    for _ in $(seq 1 50); do grep -q "listening on UDP\|cannot listen" "$log" && break; sleep 0.1; done
    grep -q "cannot listen" "$log" || break
    wait "$PID" 2>/dev/null || true
    port=$((39000 + RANDOM % 1000))
    overrides[3]=$port
  done
  timeout 5 turnutils_stunclient -p "$port" 127.0.0.1 2>&1 | grep -q "reflexive addr: 127.0.0.1" || ok=0
  if [ "$ok" = 1 ] && [ "$#" -gt 0 ]; then
    timeout 30 turnutils_uclient -p "$port" "$@" -e 127.0.0.1 -r "$PEER_PORT" -m 2 -n 20 -l 200 \
      127.0.0.1 >"$WORK/uclient.log" 2>&1 && grep -q "Total lost packets 0 (0.000000%)" "$WORK/uclient.log" || ok=0
  fi
  kill "$PID" 2>/dev/null || ok=0; wait "$PID" 2>/dev/null || true; PID=""
  if [ "$ok" = 1 ]; then
    echo "PASS: $name starts and serves$([ "$#" -gt 0 ] && echo ", relays")"; passed=$((passed + 1))
  else
    echo "FAIL: $name"; tail -5 "$log"; failed=$((failed + 1))
  fi
}

# A flat user db for the examples that name one.
printf 'alice:alice-pass\n' >"$WORK/turnuserdb.conf"
for example in "$ROOT"/conf/examples/*.conf; do
  sed "s#/etc/turnuserdb.conf#$WORK/turnuserdb.conf#; s#/var/log/turnd.log#stdout#" "$example" >"$WORK/example.conf"
  serve "conf/examples/$(basename "$example")" "$WORK/example.conf" -u alice -w alice-pass
done
# The annotated file defines no users (every user= is commented out): STUN only.
serve "conf/turnserver.conf" "$ROOT/conf/turnserver.conf"
if [ -f /etc/turnserver.conf ]; then
  serve "Debian coturn /etc/turnserver.conf" /etc/turnserver.conf
fi
sed "s#@USERDB@#$WORK/turnuserdb.conf#" "$HERE/configs/rfc5766-turn-server.conf" >"$WORK/rfc5766.conf"
serve "rfc5766-turn-server-style config" "$WORK/rfc5766.conf" -u alice -w alice-pass
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
