#!/usr/bin/env bash
# Interop: a real browser (Debian's Chromium, headless) relays WebRTC data channel traffic
# through turnd. The page tests/interop/browser/turn_relay.html opens two RTCPeerConnections
# (iceTransportPolicy 'relay', so both ends use only relay candidates from turnd), sends 200
# messages from A to B over a data channel and reports, through getStats(), the selected
# candidate pair of each side. Scenarios, one Chromium run each:
#   udp        turn:127.0.0.1:PORT                      relayProtocol udp, turnd transport=UDP
#   tcp        turn:127.0.0.1:PORT?transport=tcp        relayProtocol tcp, turnd transport=TCP
#   tls        turns:127.0.0.1:TLS_PORT?transport=tcp   relayProtocol tls, turnd transport=TLS
#   tls-plain  turns:127.0.0.1:PORT?transport=tcp       (TLS detected on the plain port)
# Chromium verifies the TURN server's TLS certificate (an untrusted one fails with net_error
# -202, ERR_CERT_AUTHORITY_INVALID), so the test's self-signed certificate is trusted in an NSS
# database under a HOME inside the temporary directory; nothing outside it changes.
# Chromium is kept off the network: hostnames resolve to nothing, HTTP(S) to non-loopback hosts
# goes to a dead proxy on 127.0.0.1, background services are off, and WebRTC's mDNS candidate
# names (multicast) are disabled. All test traffic is on 127.0.0.1.
# With a second argument `on`, turnd runs with its kernel fast path forced on
# (kernel-offload=on, root only): every scenario must pass the same, and the UDP call, whose
# two relays are allocations of this one turnd, must have been relayed by the kernel: after the
# run turnd's exit counters must show the kernel relayed at least every message the page sent
# and that the bound channels were offloaded (both sides: one pass from client to client).
# Usage: browser_turn_test.sh /path/to/turnd [on]   (needs: chromium, certutil, openssl, python3)
set -euo pipefail
TURND=${1:?usage: $0 /path/to/turnd [on]}
OFFLOAD=${2:-off}
if [ "$OFFLOAD" = on ] && [ "$(id -u)" != 0 ]; then echo "SKIP: the kernel fast path needs root"; exit 0; fi
HERE=$(cd "$(dirname "$0")" && pwd)
PAGE_DIR=$HERE/browser
MESSAGES=200
RESULT_WAIT=40 # seconds to wait for a page's result

for tool in chromium certutil openssl python3 ss setsid; do
  if ! command -v "$tool" >/dev/null; then
    echo "FAIL: $tool not installed (scripts/setup.sh installs chromium and libnss3-tools)"
    exit 1
  fi
done
[ -x "$TURND" ] || { echo "FAIL: $TURND is not an executable"; exit 1; }

WORK=$(mktemp -d /tmp/turnd-browser.XXXXXX)
PIDS=()
GROUPS_STARTED=() # process groups (Chromium and its children) started with setsid
keep_work=1
cleanup() {
  local pid
  for pid in "${GROUPS_STARTED[@]}"; do kill -KILL -- "-$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ "$keep_work" = 0 ]; then rm -rf "$WORK"; else echo "logs kept in $WORK"; fi
}
trap cleanup EXIT

# A free port in 20000-29999: UDP and TCP both free, and not in PICKED (the caller adds it there).
PICKED=" "
pick_port() {
  local p
  for _ in $(seq 1 100); do
    p=$((20000 + RANDOM % 10000))
    case "$PICKED" in *" $p "*) continue ;; esac
    if ! ss -Huln "sport = :$p" | grep -q . && ! ss -Htln "sport = :$p" | grep -q .; then
      echo "$p"
      return 0
    fi
  done
  return 1
}
PORT=$(pick_port)
PICKED="$PICKED$PORT "
TLS_PORT=$(pick_port)
PICKED="$PICKED$TLS_PORT "
HTTP_PORT=$(pick_port)

# Test certificate, trusted by Chromium only through the NSS database of this HOME.
export HOME=$WORK/home
export XDG_CONFIG_HOME=$HOME/.config XDG_CACHE_HOME=$HOME/.cache
mkdir -p "$HOME/.pki/nssdb"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$WORK/key.pem" -out "$WORK/cert.pem" -days 2 \
  -subj /CN=localhost -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" >"$WORK/openssl.log" 2>&1
cat "$WORK/cert.pem" "$WORK/key.pem" >"$WORK/bundle.pem"
certutil -N -d "sql:$HOME/.pki/nssdb" --empty-password
certutil -A -d "sql:$HOME/.pki/nssdb" -n turnd-browser-test -t "C,," -i "$WORK/cert.pem"

"$TURND" -n --listening-ip 127.0.0.1 --listening-port "$PORT" --tls-listening-port "$TLS_PORT" \
  --cert "$WORK/bundle.pem" --realm example.org --user alice:secret \
  --min-port 40000 --max-port 44999 --kernel-offload "$OFFLOAD" -v >"$WORK/turnd.log" 2>&1 &
TURND_PID=$!
PIDS+=("$TURND_PID")
python3 "$PAGE_DIR/serve.py" "$HTTP_PORT" "$WORK/result.json" >"$WORK/serve.log" 2>&1 &
PIDS+=("$!")

# Wait (bounded) until turnd listens on UDP+TCP PORT and TCP TLS_PORT, and the page is served.
ready=0
for _ in $(seq 1 100); do
  if ss -Huln "sport = :$PORT" | grep -q . && ss -Htln "sport = :$PORT" | grep -q . &&
     ss -Htln "sport = :$TLS_PORT" | grep -q . && ss -Htln "sport = :$HTTP_PORT" | grep -q .; then
    ready=1; break
  fi
  kill -0 "$TURND_PID" 2>/dev/null || break
  sleep 0.1
done
if [ "$ready" != 1 ]; then
  echo "FAIL: turnd or the page server did not start"; tail -20 "$WORK/turnd.log" "$WORK/serve.log"
  exit 1
fi
if ! grep -q "peer policy: this host (.*127.0.0.1.*): only live relay allocations" "$WORK/turnd.log"; then
  echo "FAIL: turnd does not log that its live relays are peers (browser peers could not relay)"
  grep "peer policy" "$WORK/turnd.log" || true
  exit 1
fi

CHROMIUM_FLAGS=(
  --headless=new --no-sandbox --disable-gpu --no-first-run --remote-debugging-port=0
  # No traffic off this machine: no DNS, HTTP(S) to non-loopback hosts to a dead proxy (loopback
  # is always reached directly), background services off, no mDNS multicast for host candidates.
  "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1"
  --proxy-server=http://127.0.0.1:9
  --disable-background-networking --disable-component-update --disable-sync
  --disable-default-apps --disable-domain-reliability --no-pings
  --disable-features=WebRtcHideLocalIpsWithMdns
  # Errors (e.g. the TLS handshake/certificate error of a TURN TLS connection) to the log.
  --enable-logging=stderr
)

failures=0
passed=0
# run_scenario NAME TURN_URL RELAY_PROTOCOL TURND_TRANSPORT
run_scenario() {
  local name=$1 url=$2 proto=$3 transport=$4
  local result="$WORK/result.json" clog="$WORK/chromium-$name.log" start end pid
  rm -f "$result"
  start=$(date +%s.%N)
  setsid chromium "${CHROMIUM_FLAGS[@]}" --user-data-dir="$WORK/profile-$name" \
    "http://127.0.0.1:$HTTP_PORT/turn_relay.html?url=$url&n=$MESSAGES&timeout_ms=$(((RESULT_WAIT - 10) * 1000))" \
    >"$clog" 2>&1 </dev/null &
  pid=$!
  GROUPS_STARTED+=("$pid")
  for _ in $(seq 1 $((RESULT_WAIT * 10))); do
    [ -s "$result" ] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  # Stop this Chromium (its own process group), bounded: TERM, then KILL.
  kill -TERM -- "-$pid" 2>/dev/null || true
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL -- "-$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  end=$(date +%s.%N)
  local secs
  secs=$(python3 -c "print(f'{$end - $start:.1f}')")

  if [ ! -s "$result" ]; then
    echo "FAIL: $name ($url): no result from the page within ${RESULT_WAIT}s"
    grep -iE "turn|ssl|cert|error" "$clog" | grep -v dbus | tail -10 || true
    failures=$((failures + 1)); return
  fi
  cp "$result" "$WORK/result-$name.json"
  local summary
  if ! summary=$(python3 - "$result" "$proto" "$MESSAGES" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
proto, count = sys.argv[2], int(sys.argv[3])
problems = []
if not r.get("ok"):
    problems.append(f"page error: {r.get('error')}")
if r.get("received") != count or r.get("sent") != count:
    problems.append(f"messages {r.get('received')}/{count}")
if r.get("outOfOrder", 1) != 0:
    problems.append(f"{r.get('outOfOrder')} out of order")
relays = {}
for side in ("a", "b"):
    pair = r.get(side) or {}
    local, remote = pair.get("local") or {}, pair.get("remote") or {}
    if local.get("candidateType") != "relay" or remote.get("candidateType") != "relay":
        problems.append(f"{side}: candidate types {local.get('candidateType')}/{remote.get('candidateType')}")
    if local.get("relayProtocol") != proto:
        problems.append(f"{side}: relayProtocol {local.get('relayProtocol')}, expected {proto}")
    port = local.get("port") or 0
    if local.get("address") != "127.0.0.1" or not 40000 <= port <= 44999:
        problems.append(f"{side}: relay address {local.get('address')}:{port} not turnd's")
    relays[side] = (local.get("address"), port, remote.get("address"), remote.get("port"))
if not problems and (relays["a"][2:] != relays["b"][:2] or relays["b"][2:] != relays["a"][:2]):
    problems.append(f"pairs do not match: {relays}")
if problems:
    print("; ".join(problems))
    if r.get("iceErrors"):
        print("iceErrors:", json.dumps(r["iceErrors"]))
    for line in r.get("log", [])[-15:]:
        print("  page:", line)
    sys.exit(1)
print(f"relayProtocol={proto} relays={relays['a'][0]}:{relays['a'][1]},{relays['b'][0]}:{relays['b'][1]} "
      f"messages={r['received']}/{count} in order, page {r.get('elapsed_ms')} ms")
print(relays["a"][1], relays["b"][1])
EOF
  ); then
    echo "FAIL: $name ($url): $summary"
    grep -iE "turn|ssl|cert" "$clog" | grep -v dbus | tail -10 || true
    failures=$((failures + 1)); return
  fi
  # turnd must have logged both allocations (by their relay ports) with the expected transport.
  local ports missing=""
  ports=$(tail -1 <<<"$summary")
  for p in $ports; do
    grep -q "allocation start: .* transport=$transport .* relay=127.0.0.1:$p " "$WORK/turnd.log" ||
      missing="$missing $p"
  done
  if [ -n "$missing" ]; then
    echo "FAIL: $name ($url): turnd logged no transport=$transport allocation for relay port(s)$missing"
    grep "allocation start" "$WORK/turnd.log" | tail -4
    failures=$((failures + 1)); return
  fi
  echo "PASS: $name ($url): $(head -1 <<<"$summary"), turnd transport=$transport, ${secs}s"
  passed=$((passed + 1))
}

run_scenario udp "turn:127.0.0.1:$PORT" udp UDP
run_scenario tcp "turn:127.0.0.1:$PORT?transport=tcp" tcp TCP
run_scenario tls "turns:127.0.0.1:$TLS_PORT?transport=tcp" tls TLS
run_scenario tls-plain "turns:127.0.0.1:$PORT?transport=tcp" tls TLS

# turnd stops cleanly on SIGTERM.
kill -TERM "$TURND_PID"
status=0
for _ in $(seq 1 100); do kill -0 "$TURND_PID" 2>/dev/null || break; sleep 0.1; done
wait "$TURND_PID" || status=$?
if [ "$status" != 0 ]; then
  echo "FAIL: turnd exited with $status after SIGTERM"; tail -20 "$WORK/turnd.log"
  failures=$((failures + 1))
fi
if [ "$OFFLOAD" = on ]; then
  counter() { grep -o " $1=[0-9]*" "$WORK/turnd.log" | tail -1 | cut -d= -f2 || true; }
  offloaded=$(counter offloaded_packets)
  flows=$(counter offload_flows_installed)
  if [ "${flows:-0}" -ge 2 ] && [ "${offloaded:-0}" -ge "$MESSAGES" ]; then
    echo "PASS: the kernel relayed $offloaded packets of $flows offloaded channels"
    passed=$((passed + 1))
  else
    echo "FAIL: the kernel relayed ${offloaded:-0} packets of ${flows:-0} offloaded channels" \
      "(expected at least $MESSAGES of 2)"
    grep "counters at exit" "$WORK/turnd.log" || true
    failures=$((failures + 1))
  fi
fi
echo "$passed passed, $failures failed"
[ "$failures" = 0 ] || exit 1
keep_work=0
