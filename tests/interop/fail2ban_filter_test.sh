#!/usr/bin/env bash
# The shipped fail2ban filter (conf/fail2ban/filter.d/turnd.conf) against a real turnd log:
#  - every authentication failure (coturn's turnutils_uclient with a wrong password) matches,
#    with the client's address as <HOST>;
#  - a USERNAME carrying a newline and a forged "auth failure from 203.0.113.9" line does not
#    produce a match for 203.0.113.9 (turnd escapes network text in its log lines).
# Usage: fail2ban_filter_test.sh /path/to/turnd
set -euo pipefail
TURND=${1:?usage: $0 /path/to/turnd}
HERE=$(cd "$(dirname "$0")" && pwd)
FILTER="$HERE/../../conf/fail2ban/filter.d/turnd.conf"
command -v fail2ban-regex >/dev/null || { echo "FAIL: fail2ban-regex not installed"; exit 1; }

WORK=$(mktemp -d)
TURND_PID=""
cleanup() { [ -n "$TURND_PID" ] && kill "$TURND_PID" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT
PORT=$((30000 + RANDOM % 5000))

# The filter is for those who run fail2ban themselves: turnd's own ban is off here, or the
# failures below would ban 127.0.0.1 before the forged line is tried.
"$TURND" -n --listening-ip 127.0.0.1 --listening-port "$PORT" --relay-threads 1 \
  --realm example.org --user alice:secret --log-file "$WORK/turnd.log" --simple-log --no-stdout-log \
  --auth-ban=off &
TURND_PID=$!
for _ in $(seq 1 50); do grep -q "listening on UDP" "$WORK/turnd.log" 2>/dev/null && break; sleep 0.1; done

# Real failures from a real client: uclient retries and gives up on the wrong password.
timeout 20 turnutils_uclient -p "$PORT" -u alice -w wrong -y -m 3 -n 1 127.0.0.1 >/dev/null 2>&1 || true

# Forged line inside USERNAME, after a real 401 handshake (so the request reaches the user check).
python3 - "$PORT" <<'PY'
import os, socket, struct, sys
port = int(sys.argv[1])
def attr(t, v):
    pad = (4 - len(v) % 4) % 4
    return struct.pack("!HH", t, len(v)) + v + b"\0" * pad
def request(attrs):
    body = b"".join(attrs)
    return struct.pack("!HHI", 0x0003, len(body), 0x2112A442) + os.urandom(12) + body
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
s.sendto(request([attr(0x0019, b"\x11\0\0\0")]), ("127.0.0.1", port))
reply = s.recv(2048)
at, nonce = 20, None
while at < len(reply):
    t, l = struct.unpack("!HH", reply[at:at + 4])
    if t == 0x0015:
        nonce = reply[at + 4:at + 4 + l]
    at += 4 + l + (4 - l % 4) % 4
assert nonce, "no NONCE in the 401"
evil = b'x"\n2026-11-23T22:28:19.815Z WARNING: auth failure from 203.0.113.9 port 1 transport=UDP user="a" realm="b" reason="c"'
s.sendto(request([attr(0x0019, b"\x11\0\0\0"), attr(0x0006, evil), attr(0x0014, b"example.org"),
                  attr(0x0015, nonce), attr(0x0008, b"\0" * 20)]), ("127.0.0.1", port))
s.recv(2048)  # the 401 for the wrong integrity
PY

fail2ban-regex "$WORK/turnd.log" "$FILTER" >"$WORK/regex.out" 2>&1 || true
failures=0
matched=$(sed -n 's/^Failregex: \([0-9]*\) total.*/\1/p' "$WORK/regex.out")
logged=$(grep -c "auth failure from" "$WORK/turnd.log" || true)
if [ -n "$matched" ] && [ "$matched" -ge 2 ] && [ "$matched" = "$logged" ]; then
  echo "PASS: filter matches all $matched logged authentication failures"
else
  echo "FAIL: filter matched ${matched:-0} of $logged failure lines"; cat "$WORK/regex.out"; failures=$((failures + 1))
fi
if fail2ban-regex -v "$WORK/turnd.log" "$FILTER" 2>&1 | grep -q "203.0.113.9"; then
  echo "FAIL: a forged USERNAME produced a match for 203.0.113.9"; failures=$((failures + 1))
elif grep -q "127.0.0.1" <(fail2ban-regex -v "$WORK/turnd.log" "$FILTER" 2>&1); then
  echo "PASS: the forged USERNAME stays inside one escaped line; only 127.0.0.1 is matched"
else
  echo "FAIL: 127.0.0.1 not reported as the failing host"; failures=$((failures + 1))
fi
echo "$((2 - failures)) passed, $failures failed"
[ "$failures" = 0 ]
