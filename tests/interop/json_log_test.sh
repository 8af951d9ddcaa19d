#!/usr/bin/env bash
# log-format=json against a real turnd and real clients: every line of the log file is one JSON
# object with time, level and message; "allocation start"/"allocation end" lines carry their
# key=value fields (client, transport, user, realm, relay, reason); an auth failure carries the
# source (from, port) and user/realm/reason, with a USERNAME holding a quote and a newline
# still one line and one field (escaped as in the text log, so it cannot forge another line);
# the reload and the stop lines are there too.
# Usage: json_log_test.sh /path/to/turnd
set -euo pipefail
TURND=${1:?usage: $0 /path/to/turnd}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
. "$ROOT/tests/lib/common.sh"
PORT=$(pick_port)
PEER_PORT=$((PORT + 1))
"$TURND" -n --listening-ip 127.0.0.1 --listening-port "$PORT" --relay-threads 1 --realm example.org \
  --user alice:secret --allow-loopback-peers --min-port 47000 --max-port 47999 --log-format json \
  --log-file "$WORK/turnd.log" --simple-log --no-stdout-log &
TURND_PID=$!
PIDS+=("$TURND_PID")
turnutils_peer -L 127.0.0.1 -p "$PEER_PORT" >/dev/null 2>&1 &
PIDS+=("$!")
for _ in $(seq 1 50); do grep -q "listening on UDP" "$WORK/turnd.log" 2>/dev/null && break; sleep 0.1; done
timeout 30 turnutils_uclient -p "$PORT" -u alice -w secret -e 127.0.0.1 -r "$PEER_PORT" -m 2 -n 10 \
  -l 100 127.0.0.1 >/dev/null 2>&1 || { echo "FAIL: uclient"; exit 1; }
python3 - "$PORT" "$ROOT/bench/soak" <<'PY'
import sys
sys.path.insert(0, sys.argv[2])
import stunmsg as stun
from perm_flood import Client
c = Client(("127.0.0.1", int(sys.argv[1])), "127.0.0.1", 'mal"lory\nWARNING: forged', "wrong")
m = c.request(stun.ALLOCATE, [stun.attr(stun.REQUESTED_TRANSPORT, b"\x11\0\0\0")])
assert m is not None and m.error_code() == 401
PY
kill -HUP "$TURND_PID"
for _ in $(seq 1 50); do grep -q "reload: configuration" "$WORK/turnd.log" && break; sleep 0.1; done
kill -TERM "$TURND_PID"
wait "$TURND_PID" || { echo "FAIL: turnd exited non-zero"; exit 1; }

python3 - "$WORK/turnd.log" <<'PY'
import json, sys
failures = 0
def check(ok, what):
    global failures
    print(("PASS: " if ok else "FAIL: ") + what)
    failures += 0 if ok else 1
lines = open(sys.argv[1], encoding="ascii").read().splitlines()
records = []
for n, line in enumerate(lines, 1):
    try:
        records.append(json.loads(line))
    except ValueError as e:
        check(False, f"line {n} is not JSON ({e}): {line[:120]}")
check(len(records) == len(lines) and len(lines) > 5, f"{len(lines)} lines, each one JSON object")
check(all({"time", "level", "message"} <= r.keys() for r in records), "each has time, level, message")
def first(event):
    return next((r for r in records if r.get("event") == event), None)
start, end = first("allocation start"), first("allocation end")
check(start is not None and start.get("user") == "alice" and start.get("transport") == "UDP"
      and start.get("client", "").startswith("127.0.0.1:"), f"allocation start fields: {start}")
check(end is not None and end.get("reason") in ("shutdown", "expired", "deleted")
      and end.get("relay", "").startswith("127.0.0.1:") and end.get("realm") == "example.org",
      f"allocation end fields: {end}")
fails = [r for r in records if r["message"].startswith("auth failure from")]
check(len(fails) == 1 and fails[0].get("from") == "127.0.0.1" and fails[0].get("port", "").isdigit()
      and fails[0].get("reason") and "\n" not in fails[0].get("user", "\n")
      and "forged" in fails[0].get("user", ""), f"auth failure: {fails[0] if fails else None}")
check(not any(r["message"].startswith("forged") for r in records), "no forged record")
check(any(r.get("event") == "reload" for r in records), "the reload line")
check(any(r["message"].startswith("signal Terminated") for r in records), "the stop line")
sys.exit(1 if failures else 0)
PY
