#!/usr/bin/env bash
# Interop: coturn's turnutils_uclient (Debian package coturn) against turnd over every client
# transport but plain UDP/IPv4 (that one is coturn_clients_test.sh):
#  1. TCP: ChannelData (-t) and Send indications (-t -s);
#  2. TLS (-t -S) on the TLS port and on the plain port (turnd detects TLS there too);
#  3. RFC 6062 TCP relay, client to client (-T -y), also over TLS (-T -y -S);
#  4. IPv6: UDP, TCP and TLS to [::1] with a [::1] peer;
#  5. DTLS (-S over UDP) on the TLS port, turnd started with --dtls;
#  6. the separate --cert/--pkey layout (the first instance uses one cert+key bundle file);
#  7. the log names every transport used, and SIGTERM stops turnd within 5 s with status 0.
# Also: TLS 1.1 is refused (TLS 1.2+ by default) and TLS 1.2 is accepted (openssl s_client).
# Every uclient run must lose nothing and receive exactly what it sent.
# Usage: coturn_transports_test.sh /path/to/turnd
set -euo pipefail
TURND=${1:?usage: $0 /path/to/turnd}
for tool in turnutils_uclient turnutils_peer turnutils_stunclient openssl ss; do
  command -v "$tool" >/dev/null || { echo "FAIL: $tool not installed (apt-get install coturn openssl iproute2)"; exit 1; }
done
# Line-buffer uclient's stdout so a run killed by timeout still leaves its log.
STDBUF=()
command -v stdbuf >/dev/null && STDBUF=(stdbuf -oL -eL)

WORK=$(mktemp -d)
KEEP_WORK=0  # set on failure: the logs stay for a look
PIDS=()
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  if [ "$KEEP_WORK" = 1 ]; then echo "logs kept in $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
START=$(date +%s)

# A free port in 20000-29999: p and p+1 unbound for both UDP and TCP (turnutils_peer binds
# p+1 as well), and not next to a port this script already picked.
PICKED=" "
pick_port() {
  local p q busy
  for _ in $(seq 1 100); do
    p=$((20000 + RANDOM % 9990))
    busy=0
    for q in $((p - 1)) "$p" $((p + 1)) $((p + 2)); do
      case "$PICKED" in *" $q "*) busy=1 ;; esac
    done
    for q in "$p" $((p + 1)); do
      if [ -n "$(ss -Huln "sport = :$q")$(ss -Htln "sport = :$q")" ]; then busy=1; fi
    done
    if [ "$busy" = 0 ]; then echo "$p"; return 0; fi
  done
  echo "FAIL: no free port in 20000-29999" >&2
  return 1
}
# pick_port runs in a subshell under $(...): the caller records each pick in PICKED.
PORT=$(pick_port); PICKED+="$PORT "
TLS_PORT=$(pick_port); PICKED+="$TLS_PORT "
PEER_PORT=$(pick_port); PICKED+="$PEER_PORT "
PEER6_PORT=$(pick_port); PICKED+="$PEER6_PORT "
PORT2=$(pick_port); PICKED+="$PORT2 "
TLS_PORT2=$(pick_port); PICKED+="$TLS_PORT2 "

failures=0
passes=0
pass() { echo "PASS: $*"; passes=$((passes + 1)); }
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# Self-signed certificate, generated per run; bundle.pem is the one-file layout.
if ! openssl req -x509 -newkey rsa:2048 -nodes -keyout "$WORK/key.pem" -out "$WORK/cert.pem" \
     -days 2 -subj /CN=turnd.test >"$WORK/openssl.log" 2>&1; then
  echo "FAIL: openssl req"; cat "$WORK/openssl.log"; exit 1
fi
cat "$WORK/cert.pem" "$WORK/key.pem" >"$WORK/bundle.pem"

TURND_PID=
# start_turnd NAME PORT TLS_PORT EXTRA-ARGS...
start_turnd() {
  local name=$1 port=$2 tls_port=$3; shift 3
  TURND_LOG="$WORK/turnd-$name.log"
  "$TURND" -n --listening-ip 127.0.0.1 --listening-ip ::1 --listening-port "$port" \
    --tls-listening-port "$tls_port" --relay-threads 2 --realm example.org --user alice:secret \
    --allow-loopback-peers --min-port 40000 --max-port 44999 "$@" >"$TURND_LOG" 2>&1 &
  TURND_PID=$!
  PIDS+=("$TURND_PID")
  # Wait (bounded) until turnd answers a Binding request and listens on both TCP ports.
  local ok=0
  for _ in $(seq 1 50); do
    if timeout 2 turnutils_stunclient -p "$port" 127.0.0.1 >"$WORK/stun.log" 2>&1 &&
       grep -q "UDP reflexive addr: 127.0.0.1:" "$WORK/stun.log" &&
       [ -n "$(ss -Htln "sport = :$port")" ] && [ -n "$(ss -Htln "sport = :$tls_port")" ]; then
      ok=1; break
    fi
    kill -0 "$TURND_PID" 2>/dev/null || break
    sleep 0.1
  done
  if [ "$ok" != 1 ]; then
    echo "FAIL: turnd ($name) did not come up"; tail -20 "$TURND_LOG"; KEEP_WORK=1; exit 1
  fi
  echo "turnd ($name) up on UDP/TCP $port, TLS $tls_port ($(grep -m1 -o 'TLS: certificate.*' "$TURND_LOG" || echo 'no TLS line'))"
}

# stop_turnd NAME: SIGTERM, must exit within 5 s with status 0.
stop_turnd() {
  local name=$1 status=0
  kill -TERM "$TURND_PID"
  for _ in $(seq 1 50); do kill -0 "$TURND_PID" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$TURND_PID" 2>/dev/null; then
    fail "turnd ($name) still running 5 s after SIGTERM"; kill -KILL "$TURND_PID" 2>/dev/null || true
  fi
  wait "$TURND_PID" || status=$?
  local keep=() pid
  for pid in "${PIDS[@]}"; do [ "$pid" = "$TURND_PID" ] || keep+=("$pid"); done
  PIDS=("${keep[@]}")
  if [ "$status" = 0 ]; then pass "turnd ($name) exited 0 on SIGTERM"
  else fail "turnd ($name) exited with $status after SIGTERM"; tail -20 "$TURND_LOG"; fi
}

# run_uclient NAME TIMEOUT MIN_SENT uclient-args... (server address last)
run_uclient() {
  local name=$1 limit=$2 min_sent=$3; shift 3
  local log="$WORK/uclient-$name.log" t0 rc=0 secs
  t0=$(date +%s.%N)
  timeout "$limit" "${STDBUF[@]}" turnutils_uclient -u alice -w secret "$@" >"$log" 2>&1 || rc=$?
  secs=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
  if [ "$rc" != 0 ]; then
    if [ "$rc" = 124 ]; then fail "uclient $name timed out after ${limit}s"
    else fail "uclient $name exited $rc (${secs}s)"; fi
    tail -5 "$log"; return 1
  fi
  local totals sent recv
  totals=$(grep "start_mclient: tot_send_msgs=" "$log" | tail -1 || true)
  sent=$(sed -n 's/.*tot_send_msgs=\([0-9]*\), tot_recv_msgs=\([0-9]*\).*/\1/p' <<<"$totals")
  recv=$(sed -n 's/.*tot_send_msgs=\([0-9]*\), tot_recv_msgs=\([0-9]*\).*/\2/p' <<<"$totals")
  if grep -q "Total lost packets 0 (0.000000%)" "$log" && [ -n "$sent" ] && [ "$sent" -ge "$min_sent" ] &&
     [ "$sent" = "$recv" ]; then
    pass "uclient $name: sent=$sent received=$recv lost=0 (${secs}s)"
  else
    fail "uclient $name: sent=${sent:-?} received=${recv:-?} (${secs}s)"
    grep -iE "lost|error|fail" "$log" | tail -5 || true
    return 1
  fi
}

# --- instance 1: bundle certificate, DTLS on -------------------------------------------------
start_turnd bundle "$PORT" "$TLS_PORT" --cert "$WORK/bundle.pem" --dtls
turnutils_peer -L 127.0.0.1 -p "$PEER_PORT" >"$WORK/peer.log" 2>&1 &
PIDS+=("$!")
turnutils_peer -L ::1 -p "$PEER6_PORT" >"$WORK/peer6.log" 2>&1 &
PIDS+=("$!")
sleep 0.2

V4=(-e 127.0.0.1 -r "$PEER_PORT")
V6=(-e ::1 -r "$PEER6_PORT")

# TLS versions: 1.1 must be refused by the server (the client is let down to SECLEVEL 0 so that
# it really offers 1.1), 1.2 must complete.
if timeout 10 openssl s_client -connect "127.0.0.1:$TLS_PORT" -tls1_1 -cipher 'DEFAULT@SECLEVEL=0' \
     </dev/null >"$WORK/s_client-1.1.log" 2>&1; then
  fail "openssl s_client -tls1_1 completed a handshake (TLS 1.2+ expected by default)"
elif grep -q "alert protocol version" "$WORK/s_client-1.1.log"; then
  pass "TLS 1.1 refused by turnd (alert protocol version)"
else
  fail "openssl s_client -tls1_1 failed, but not with a protocol version alert"; tail -5 "$WORK/s_client-1.1.log"
fi
if timeout 10 openssl s_client -connect "127.0.0.1:$TLS_PORT" -tls1_2 </dev/null >"$WORK/s_client-1.2.log" 2>&1 &&
   grep -q "Protocol *: TLSv1.2" "$WORK/s_client-1.2.log"; then
  pass "TLS 1.2 accepted ($(grep -m1 -o 'Cipher is .*' "$WORK/s_client-1.2.log"))"
else
  fail "openssl s_client -tls1_2 did not complete"; tail -5 "$WORK/s_client-1.2.log"
fi

# 1. TCP.
run_uclient tcp-channeldata 40 2000 -t -p "$PORT" "${V4[@]}" -m 10 -n 200 -l 1000 127.0.0.1 || true
run_uclient tcp-send-indication 40 2000 -t -s -p "$PORT" "${V4[@]}" -m 10 -n 200 -l 1000 127.0.0.1 || true
# 2. TLS, on the TLS port and on the plain port.
run_uclient tls-tls-port 40 1000 -t -S -p "$TLS_PORT" "${V4[@]}" -m 5 -n 200 -l 1000 127.0.0.1 || true
run_uclient tls-plain-port 40 1000 -t -S -p "$PORT" "${V4[@]}" -m 5 -n 200 -l 1000 127.0.0.1 || true
# 3. RFC 6062 TCP relay, client to client (-T implies -t -y -c; -m is rounded up to even).
#    Over TLS only 1 client pair: uclient 4.6.1 picks a random TLS version per connection, the
#    old ones fail and are retried, and with many connections it sometimes never finishes.
run_uclient tcp-relay 40 500 -T -y -p "$PORT" -e 127.0.0.1 -m 5 -n 100 -l 500 127.0.0.1 || true
run_uclient tcp-relay-tls 30 50 -T -y -S -p "$TLS_PORT" -e 127.0.0.1 -m 1 -n 50 -l 500 127.0.0.1 || true
# 4. IPv6.
run_uclient ipv6-udp 40 1000 -p "$PORT" "${V6[@]}" -m 5 -n 200 -l 1000 ::1 || true
run_uclient ipv6-tcp 40 1000 -t -p "$PORT" "${V6[@]}" -m 5 -n 200 -l 1000 ::1 || true
run_uclient ipv6-tls 40 1000 -t -S -p "$TLS_PORT" "${V6[@]}" -m 5 -n 200 -l 1000 ::1 || true
# 5. DTLS.
dtls_ok=0
if run_uclient dtls 40 1000 -S -p "$TLS_PORT" "${V4[@]}" -m 5 -n 200 -l 1000 127.0.0.1; then dtls_ok=1; fi

# 7. The log names every transport used.
check_log_transport() {
  local log=$1 transport=$2 n
  n=$(grep "allocation start" "$log" | grep -c " transport=$transport " || true)
  if [ "$n" -gt 0 ]; then pass "log has $n allocation(s) with transport=$transport"
  else fail "log has no allocation with transport=$transport"; fi
}
check_log_transport "$TURND_LOG" TCP
check_log_transport "$TURND_LOG" TLS
if [ "$dtls_ok" = 1 ]; then check_log_transport "$TURND_LOG" DTLS; fi
# One grep: "grep | grep -q" can fail under pipefail when -q quits before the writer is done.
if grep -q "allocation start.* relay=\[::1\]" "$TURND_LOG"; then pass "log has IPv6 relay allocations"
else fail "log has no IPv6 relay allocation"; fi
echo "allocations logged (bundle): $(grep -c 'allocation start' "$TURND_LOG" || true)" \
  "$(grep 'allocation start' "$TURND_LOG" | grep -o ' transport=[A-Z]*' | sort | uniq -c | tr -s ' \n' ' ')"
stop_turnd bundle

# --- 6. instance 2: separate --cert and --pkey -----------------------------------------------
start_turnd cert-pkey "$PORT2" "$TLS_PORT2" --cert "$WORK/cert.pem" --pkey "$WORK/key.pem"
# -E: uclient also verifies turnd's certificate against the generated one.
run_uclient cert-pkey-tls 40 1000 -t -S -E "$WORK/cert.pem" -p "$TLS_PORT2" "${V4[@]}" \
  -m 5 -n 200 -l 1000 127.0.0.1 || true
check_log_transport "$TURND_LOG" TLS
stop_turnd cert-pkey

echo "$passes passed, $failures failed ($(( $(date +%s) - START ))s)"
[ "$failures" = 0 ] || KEEP_WORK=1
[ "$failures" = 0 ]
