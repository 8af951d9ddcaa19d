#!/usr/bin/env bash
# turnctl probe over real sockets, the container's HEALTHCHECK:
#  - against a running turnd: UDP and TCP Binding round trips succeed (exit 0, mapped address);
#  - the target comes from the same turnserver.conf turnd reads (-c, listening-ip/port, no-udp
#    switching it to TCP), and --server overrides it;
#  - it fails (exit 1) with a reason when nothing listens, when a socket never answers, when the
#    answer is not STUN, and after turnd has stopped; a bad config or flag is exit 2.
# Usage: turnctl_test.sh /path/to/turnctl /path/to/turnd
set -euo pipefail
TURNCTL=$(realpath "${1:?usage: $0 /path/to/turnctl /path/to/turnd}")
TURND=$(realpath "${2:?usage: $0 /path/to/turnctl /path/to/turnd}")
. "$(dirname "$0")/../lib/common.sh"
PORT=$(pick_port)

cat >"$WORK/turnserver.conf" <<CONF
listening-ip=127.0.0.1
listening-port=$PORT
relay-threads=1
realm=example.org
user=alice:secret
log-file=$WORK/turnd.log
simple-log
no-stdout-log
CONF
"$TURND" -c "$WORK/turnserver.conf" &
TURND_PID=$!
PIDS+=("$TURND_PID")
for _ in $(seq 1 50); do grep -q "listening on UDP" "$WORK/turnd.log" 2>/dev/null && break; sleep 0.1; done

check "UDP probe of the configured address" 0 "^ok: udp 127.0.0.1:$PORT answered .*mapped address 127.0.0.1:" \
  -- "$TURNCTL" -c "$WORK/turnserver.conf" probe
check "TCP probe" 0 "^ok: tcp 127.0.0.1:$PORT answered" -- "$TURNCTL" -c "$WORK/turnserver.conf" probe --tcp
check "--server overrides the config" 0 "^ok: udp 127.0.0.1:$PORT" \
  -- "$TURNCTL" -n probe --server "127.0.0.1:$PORT"
check "--quiet prints nothing" 0 EMPTY -- "$TURNCTL" -c "$WORK/turnserver.conf" probe -q
# turnd's search path: ./turnserver.conf in the working directory.
check "found on turnd's search path" 0 "^ok: udp 127.0.0.1:$PORT" \
  -- bash -c "cd '$WORK' && '$TURNCTL' probe"

# no-udp: the probe goes over TCP (turnd with no-udp serves STUN over TCP only).
sed -e "s/^listening-port=.*/listening-port=$((PORT + 1))/" -e "s|turnd.log|turnd2.log|" \
  "$WORK/turnserver.conf" >"$WORK/tcp-only.conf"
echo "no-udp" >>"$WORK/tcp-only.conf"
"$TURND" -c "$WORK/tcp-only.conf" &
PIDS+=("$!")
for _ in $(seq 1 50); do grep -q "listening on TCP" "$WORK/turnd2.log" 2>/dev/null && break; sleep 0.1; done
check "no-udp in the config probes over TCP" 0 "^ok: tcp 127.0.0.1:$((PORT + 1))" \
  -- "$TURNCTL" -c "$WORK/tcp-only.conf" probe

# Failures: nothing listening, a UDP socket that never answers, an answer that is not STUN.
check "nothing listens" 1 "nothing listens on 127.0.0.1:$((PORT + 2))" \
  -- "$TURNCTL" -n probe --server "127.0.0.1:$((PORT + 2))" --timeout-ms 500
python3 - "$((PORT + 3))" "$((PORT + 4))" "$WORK/sockets-ready" <<'PY' &
import socket, sys, time
silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
silent.bind(("127.0.0.1", int(sys.argv[1])))
garbage = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
garbage.bind(("127.0.0.1", int(sys.argv[2])))
garbage.settimeout(0.2)
open(sys.argv[3], "w").close()
end = time.time() + 30
while time.time() < end:
    try:
        data, peer = garbage.recvfrom(2048)
        garbage.sendto(b"HTTP/1.1 400 Bad Request\r\n\r\n", peer)
    except socket.timeout:
        pass
PY
PIDS+=("$!")
for _ in $(seq 1 100); do [ -e "$WORK/sockets-ready" ] && break; sleep 0.1; done
check "a socket that never answers" 1 "no answer from 127.0.0.1:$((PORT + 3)) within 400 ms" \
  -- "$TURNCTL" -n probe --server "127.0.0.1:$((PORT + 3))" --timeout-ms 400
check "an answer that is not STUN" 1 "answer is not STUN" \
  -- "$TURNCTL" -n probe --server "127.0.0.1:$((PORT + 4))" --timeout-ms 1000

# Bad command line or configuration: status 2, naming the problem.
check "a bad --server" 2 "not ADDRESS\[:PORT\]" -- "$TURNCTL" -n probe --server "not-an-address"
echo "listening-port=notaport" >"$WORK/bad.conf"
check "a bad config names file and line" 2 "bad.conf:1" -- "$TURNCTL" -c "$WORK/bad.conf" probe

# After turnd stops, the probe fails.
kill "$TURND_PID"
wait "$TURND_PID" 2>/dev/null || true
check "after turnd stopped" 1 "failed" -- "$TURNCTL" -c "$WORK/turnserver.conf" probe --timeout-ms 500

[ "$failures" = 0 ] && echo "turnctl probe: all checks passed" && exit 0
echo "turnctl probe: $failures check(s) failed"
exit 1
