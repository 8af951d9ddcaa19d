#!/usr/bin/env bash
# ALTERNATE-SERVER with real processes on loopback (RFC 8489 §10):
#  - turnd A (alternate-server=B) answers every Allocate 300 Try Alternate; coturn's
#    turnutils_uclient follows it and relays through B with nothing lost, and A allocates nothing;
#  - turnctl allocate follows the redirect (--json names B and the hop through A), stops at
#    --max-redirects, and the redirects show in A's turnd_alternate_redirects_total;
#  - turnd C in overflow mode serves locally, and once draining (SIGUSR1) redirects to B;
#    a draining turnd without alternates still answers 508.
# Every process is ours and killed at exit; all traffic is on 127.0.0.1.
# Usage: alternate_server_test.sh /path/to/turnd /path/to/turnctl
set -euo pipefail
TURND=$(realpath "${1:?usage: $0 /path/to/turnd /path/to/turnctl}")
TURNCTL=$(realpath "${2:?usage: $0 /path/to/turnd /path/to/turnctl}")
for tool in turnutils_uclient turnutils_peer; do
  command -v "$tool" >/dev/null || { echo "FAIL: $tool not installed (apt-get install coturn)"; exit 1; }
done
. "$(dirname "$0")/../lib/common.sh"
A=$(pick_port)
B=$(pick_port)
C=$(pick_port)
PEER=$(pick_port)
METRICS=$(pick_port)
[ "$A" != "$B" ] && [ "$B" != "$C" ] && [ "$A" != "$C" ] || { echo "FAIL: port clash, rerun"; exit 1; }

# start NAME PORT MIN_RELAY_PORT [options...]: a turnd on 127.0.0.1:PORT logging to $WORK/NAME.log.
start() {
  local name=$1 port=$2 min=$3
  shift 3
  "$TURND" -n --listening-ip 127.0.0.1 --listening-port "$port" --tls-listening-port 0 \
    --relay-threads 1 --realm example.org --user alice:secret --allow-loopback-peers \
    --min-port "$min" --max-port $((min + 999)) --kernel-offload off --verbose "$@" \
    >"$WORK/$name.log" 2>&1 &
  PIDS+=("$!")
  eval "PID_$name=$!"
  for _ in $(seq 1 50); do grep -q "listening on UDP" "$WORK/$name.log" 2>/dev/null && return 0; sleep 0.1; done
  echo "FAIL: turnd $name did not start"; cat "$WORK/$name.log"; exit 1
}
start B "$B" 45000
start A "$A" 46000 --alternate-server "127.0.0.1:$B" --prometheus --prometheus-port "$METRICS" \
  --prometheus-address 127.0.0.1
start C "$C" 47000 --alternate-server "127.0.0.1:$B" --alternate-server-mode overflow
turnutils_peer -L 127.0.0.1 -p "$PEER" >"$WORK/peer.log" 2>&1 &
PIDS+=("$!")

# coturn's client: its probe Allocate gets A's signed 300 and the real ones go to B.
if timeout 60 turnutils_uclient -p "$A" -u alice -w secret -e 127.0.0.1 -r "$PEER" -m 2 -n 20 \
     -l 200 127.0.0.1 >"$WORK/uclient.log" 2>&1 && grep -q "Total lost packets 0 (0.000000%)" "$WORK/uclient.log"; then
  echo "ok: turnutils_uclient followed 300 from A to B and lost nothing"
else
  echo "FAIL: turnutils_uclient via A: $(grep -E 'error|lost' "$WORK/uclient.log" | tail -3)"
  failures=$((failures + 1))
fi
check "A redirected uclient's Allocate to B" 0 "allocate redirected: .* alternate=127.0.0.1:$B" \
  -- cat "$WORK/A.log"
check "B served uclient's allocations" 0 "allocation start: .*user=alice" -- cat "$WORK/B.log"
if grep -q "allocation start" "$WORK/A.log"; then
  echo "FAIL: A allocated although every Allocate must be redirected"; failures=$((failures + 1))
fi

# turnctl: machine-readable, the hop through A, the server that accepted and its relay.
check "turnctl allocate follows 300 to B" 0 \
  "\"ok\":true.*\"redirects\":\[\"127.0.0.1:$A\"\].*\"relayed\":\"127.0.0.1:45[0-9]{3}\".*\"server\":\"127.0.0.1:$B\"" \
  -- "$TURNCTL" -n allocate --server "127.0.0.1:$A" --username alice --credential secret --json
check "turnctl allocate text output" 0 "^ok: allocated on 127.0.0.1:$B: relayed 127.0.0.1:45" \
  -- "$TURNCTL" -n allocate --server "127.0.0.1:$A" --username alice --credential secret
check "turnctl allocate over TCP" 0 "\"ok\":true.*\"server\":\"127.0.0.1:$B\"" \
  -- "$TURNCTL" -n allocate --tcp --server "127.0.0.1:$A" --username alice --credential secret --json
check "--max-redirects 0 stops at the first 300" 1 "\"error\":\"more than 0 redirects\"" \
  -- "$TURNCTL" -n allocate --server "127.0.0.1:$A" --username alice --credential secret \
     --max-redirects 0 --json
check "a wrong password fails at A, before any redirect" 1 "error 401" \
  -- "$TURNCTL" -n allocate --server "127.0.0.1:$A" --username alice --credential wrong
check "A counts its redirects" 0 "^turnd_alternate_redirects_total [1-9]" \
  -- python3 -c "import urllib.request; print(urllib.request.urlopen('http://127.0.0.1:$METRICS/metrics', timeout=5).read().decode())"

# Overflow mode: C serves while it has room; draining, it sends new clients to B.
check "overflow mode: C serves locally" 0 "\"ok\":true,\"redirects\":\[\],.*\"server\":\"127.0.0.1:$C\"" \
  -- "$TURNCTL" -n allocate --server "127.0.0.1:$C" --username alice --credential secret --json --keep
kill -USR1 "$PID_C"
for _ in $(seq 1 50); do grep -q "draining: new allocations are redirected" "$WORK/C.log" && break; sleep 0.1; done
# Over TCP: a new UDP socket may get the --keep one's port back, and that 5-tuple has an
# allocation already (437).
check "draining C redirects to B" 0 "\"ok\":true,\"redirects\":\[\"127.0.0.1:$C\"\].*\"server\":\"127.0.0.1:$B\"" \
  -- "$TURNCTL" -n allocate --tcp --server "127.0.0.1:$C" --username alice --credential secret --json
# B has no alternates: draining, it refuses (508) as before. Its uclient allocations may still
# run, so it stays up; turnctl's --keep allocation makes sure.
"$TURNCTL" -n allocate --server "127.0.0.1:$B" --username alice --credential secret --keep >/dev/null
kill -USR1 "$PID_B"
for _ in $(seq 1 50); do grep -q "draining: new allocations are refused" "$WORK/B.log" && break; sleep 0.1; done
check "draining B without alternates answers 508" 1 "error 508" \
  -- "$TURNCTL" -n allocate --tcp --server "127.0.0.1:$B" --username alice --credential secret

if [ "$failures" -ne 0 ]; then
  echo "FAIL: $failures check(s) failed"; tail -20 "$WORK/A.log"; exit 1
fi
echo "PASS: alternate server"
