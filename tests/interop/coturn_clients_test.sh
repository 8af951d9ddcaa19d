#!/usr/bin/env bash
# Interop: coturn's own clients (Debian package coturn) against turnd over loopback UDP.
#  - turnutils_stunclient learns its reflexive address;
#  - turnutils_uclient relays 50 clients x 500 messages x 1000 bytes through turnd to
#    turnutils_peer in ChannelData mode, Send-indication mode (-s), and client-to-client mode
#    (-y, peers are other clients' relay addresses), and must lose nothing.
# With `on` as second argument the kernel fast path is forced on (needs root and a build with
# libbpf; skipped otherwise) and must have relayed the ChannelData and client-to-client runs'
# packets. turnd then also runs with proc-user=nobody, as a packaged server drops root: it must
# relay as that user and still take its TC filter off lo at exit.
# TURND_INTEROP_MESSAGES (default 500) sets the messages per client: scripts/test.sh's ASan pass
# uses fewer, as memory errors need the paths run, not the volume.
# Usage: coturn_clients_test.sh /path/to/turnd [off|on]
set -euo pipefail
MESSAGES=${TURND_INTEROP_MESSAGES:-500}
TURND=${1:?usage: $0 /path/to/turnd [off|on]}
OFFLOAD=${2:-off}
if [ "$OFFLOAD" = on ] && [ "$(id -u)" != 0 ]; then echo "SKIP: the kernel fast path needs root"; exit 0; fi
for tool in turnutils_uclient turnutils_peer turnutils_stunclient; do
  command -v "$tool" >/dev/null || { echo "FAIL: $tool not installed (apt-get install coturn)"; exit 1; }
done

. "$(dirname "$0")/../lib/common.sh"
PORT=$(pick_port)
PEER_PORT=$(pick_port)

PRIVILEGES=()
if [ "$OFFLOAD" = on ]; then
  PRIVILEGES=(--proc-user nobody)
  filters_before=$(tc filter show dev lo ingress | grep -c turnd || true)
fi
"$TURND" -n --listening-ip 127.0.0.1 --listening-port "$PORT" --relay-threads 2 \
  --realm example.org --user alice:secret --allow-loopback-peers "${PRIVILEGES[@]}" \
  --min-port 40000 --max-port 44999 --kernel-offload "$OFFLOAD" >"$WORK/turnd.log" 2>&1 &
TURND_PID=$!
PIDS+=("$TURND_PID")
turnutils_peer -L 127.0.0.1 -p "$PEER_PORT" >"$WORK/peer.log" 2>&1 &
PIDS+=("$!")

# Wait (bounded) until turnd answers a Binding request.
ok=0
for _ in $(seq 1 50); do
  if timeout 2 turnutils_stunclient -p "$PORT" 127.0.0.1 >"$WORK/stun.log" 2>&1 &&
     grep -q "UDP reflexive addr: 127.0.0.1:" "$WORK/stun.log"; then ok=1; break; fi
  sleep 0.1
done
if [ "$ok" != 1 ] && grep -q "built without libbpf" "$WORK/turnd.log"; then
  echo "SKIP: this turnd was built without the kernel fast path"; exit 0
fi
if [ "$ok" != 1 ]; then echo "FAIL: turnutils_stunclient got no reflexive address"; cat "$WORK/turnd.log"; exit 1; fi
echo "PASS: turnutils_stunclient: $(grep -m1 'reflexive addr' "$WORK/stun.log" | sed 's/.*: IPv4. //')"

failures=0
run_uclient() {
  local name=$1; shift
  local log="$WORK/uclient-$name.log"
  if ! timeout 120 turnutils_uclient "$@" -p "$PORT" -u alice -w secret -e 127.0.0.1 -r "$PEER_PORT" \
       -m 50 -n "$MESSAGES" -l 1000 127.0.0.1 >"$log" 2>&1; then
    echo "FAIL: uclient $name exited non-zero"; tail -5 "$log"; failures=$((failures + 1)); return
  fi
  local totals sent recv
  totals=$(grep "start_mclient: tot_send_msgs=" "$log" | tail -1)
  sent=$(sed -n 's/.*tot_send_msgs=\([0-9]*\), tot_recv_msgs=\([0-9]*\).*/\1/p' <<<"$totals")
  recv=$(sed -n 's/.*tot_send_msgs=\([0-9]*\), tot_recv_msgs=\([0-9]*\).*/\2/p' <<<"$totals")
  if grep -q "Total lost packets 0 (0.000000%)" "$log" && [ -n "$sent" ] && [ "$sent" -ge $((50 * MESSAGES)) ] &&
     [ "$sent" = "$recv" ]; then
    echo "PASS: uclient $name: sent=$sent received=$recv lost=0"
  else
    echo "FAIL: uclient $name: sent=${sent:-?} received=${recv:-?}"; grep -E "lost|error" "$log" | tail -5
    failures=$((failures + 1))
  fi
}
ran_as=$(ps -o user= -p "$TURND_PID" | tr -d ' ')
run_uclient channeldata
run_uclient send-indication -s
run_uclient client-to-client -y
run_uclient client-to-client-send -y -s

# Clean stop on SIGTERM (under ASan this is where a leak would fail the exit status).
kill -TERM "$TURND_PID"
status=0
for _ in $(seq 1 100); do kill -0 "$TURND_PID" 2>/dev/null || break; sleep 0.1; done
wait "$TURND_PID" || status=$?
if [ "$status" != 0 ]; then echo "FAIL: turnd exited with $status after SIGTERM"; tail -20 "$WORK/turnd.log"; failures=$((failures + 1)); fi
grep -c "allocation start" "$WORK/turnd.log" | xargs echo "allocations logged:"
checks=5
if [ "$OFFLOAD" = on ]; then
  checks=7
  # The ChannelData and client-to-client runs: 50 x MESSAGES each way each, 100,000 in all at
  # 500 (client to client in one pass per message); the Send-indication runs stay in user space.
  offloaded=$(grep -o "offloaded_packets=[0-9]*" "$WORK/turnd.log" | cut -d= -f2 || true)
  if [ "${offloaded:-0}" -ge $((4 * 50 * MESSAGES * 9 / 10)) ]; then
    echo "PASS: the kernel relayed $offloaded packets"
  else
    echo "FAIL: the kernel relayed ${offloaded:-0} packets, expected the ChannelData and" \
      "client-to-client runs' $((4 * 50 * MESSAGES))"
    failures=$((failures + 1))
  fi
  filters_after=$(tc filter show dev lo ingress | grep -c turnd || true)
  if [ "$ran_as" = nobody ] && [ "$filters_after" = "$filters_before" ]; then
    echo "PASS: turnd relayed as $ran_as and took its TC filter off lo at exit"
  else
    echo "FAIL: turnd ran as ${ran_as:-?}; TC filters on lo: $filters_before before, $filters_after after"
    failures=$((failures + 1))
  fi
fi
echo "$((checks - failures)) passed, $failures failed"
[ "$failures" = 0 ]
