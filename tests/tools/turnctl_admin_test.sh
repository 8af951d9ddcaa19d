#!/usr/bin/env bash
# turnctl's admin commands against the real turnd binary over real sockets (issue 15):
#  - the endpoint and password come from the same turnserver.conf (-c): `turnctl sessions` just
#    works; while coturn's turnutils_uclient relays, the session is listed with live traffic
#    (table and --json), `turnctl show` details it, `turnctl kill --user` ends it;
#  - config (secrets masked), reload, bans, drain; a wrong password is exit 3, a hashed
#    cli-password without TURNCTL_PASSWORD is exit 2 naming the way out;
#  - turnd refuses a non-loopback cli-ip without cli-password, naming the option.
# Usage: turnctl_admin_test.sh /path/to/turnctl /path/to/turnd
set -euo pipefail
TURNCTL=$(realpath "${1:?usage: $0 /path/to/turnctl /path/to/turnd}")
TURND=$(realpath "${2:?usage: $0 /path/to/turnctl /path/to/turnd}")
command -v turnutils_uclient >/dev/null || { echo "FAIL: turnutils_uclient not installed (apt-get install coturn)"; exit 1; }
. "$(dirname "$0")/../lib/common.sh"
PORT=$(pick_port)
ADMIN_PORT=$(pick_port)
PEER_PORT=$((PORT + 1))

cat >"$WORK/turnserver.conf" <<CONF
listening-ip=127.0.0.1
listening-port=$PORT
relay-threads=2
realm=example.org
user=alice:secret
allow-loopback-peers
cli-port=$ADMIN_PORT
cli-password=adm1n-pass
log-file=$WORK/turnd.log
simple-log
no-stdout-log
CONF
"$TURND" -c "$WORK/turnserver.conf" &
TURND_PID=$!
PIDS+=("$TURND_PID")
for _ in $(seq 1 50); do grep -q "admin API listening" "$WORK/turnd.log" 2>/dev/null && break; sleep 0.1; done
CTL=("$TURNCTL" -c "$WORK/turnserver.conf")

check "sessions with no session" 0 "^no sessions" -- "${CTL[@]}" sessions
check "bans with no ban" 0 "^no bans" -- "${CTL[@]}" bans
check "config masks cli-password and users" 0 "cli-password=\*\*\*" -- "${CTL[@]}" config
if grep -q "adm1n-pass\|alice:secret" "$WORK/out"; then
  echo "FAIL: config shows a secret"; failures=$((failures + 1))
fi

# A relaying client: uclient (50 ms between messages) to its own second allocation.
timeout 60 turnutils_uclient -p "$PORT" -u alice -w secret -y -m 1 -n 1000 -l 200 127.0.0.1 \
  >"$WORK/uclient.log" 2>&1 &
UCLIENT_PID=$!
PIDS+=("$UCLIENT_PID")
listed=""
for _ in $(seq 1 100); do
  if "${CTL[@]}" --json sessions >"$WORK/sessions.json" 2>/dev/null &&
     python3 -c 'import json,sys; s=json.load(open(sys.argv[1]))["sessions"]; sys.exit(0 if any(x["client_to_peer"]["packets"]>0 for x in s) else 1)' "$WORK/sessions.json"; then
    listed=1; break
  fi
  sleep 0.1
done
if [ -n "$listed" ]; then
  echo "ok: --json sessions lists the relaying client with live traffic"
else
  echo "FAIL: no relaying session listed: $(cat "$WORK/sessions.json")"; failures=$((failures + 1))
fi
check "sessions as a table" 0 "^[0-9]+\.[0-9]+ +alice +UDP +127\.0\.0\.1:[0-9]+ +127\.0\.0\.1:" -- "${CTL[@]}" sessions
check "sessions --user of nobody" 0 "^no sessions" -- "${CTL[@]}" sessions --user nobody
ID=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["sessions"][0]["id"])' "$WORK/sessions.json" 2>/dev/null || echo none)
check "show one session" 0 "^user: +alice \(realm example.org\)" -- "${CTL[@]}" show "$ID"
check "show an unknown session" 1 "no session 9\.999" -- "${CTL[@]}" show 9.999
check "kill --user ends alice's sessions" 0 "^ended [1-9][0-9]* session" -- "${CTL[@]}" kill --user alice
check "none left" 0 "^no sessions" -- "${CTL[@]}" sessions
grep -q "reason=admin" "$WORK/turnd.log" && echo "ok: turnd logged the end (reason=admin)" ||
  { echo "FAIL: no allocation end with reason=admin in the log"; failures=$((failures + 1)); }
kill "$UCLIENT_PID" 2>/dev/null || true

check "reload" 0 "^reloaded" -- "${CTL[@]}" reload
check "a wrong password is exit 3" 3 "HTTP 401" -- "${CTL[@]}" --password wrong bans
check "TURNCTL_PASSWORD is used" 0 "^no bans" -- env TURNCTL_PASSWORD=adm1n-pass "$TURNCTL" -n --admin "127.0.0.1:$ADMIN_PORT" bans
sed 's/^cli-password=.*/cli-password=$5$e56d82d805def825$302a8f76c2471154f9f79d4ee6aaa598c8290afeb70520035bcdad1298398a33/' \
  "$WORK/turnserver.conf" >"$WORK/hashed.conf"
check "a hashed cli-password needs TURNCTL_PASSWORD" 2 "TURNCTL_PASSWORD" -- "$TURNCTL" -c "$WORK/hashed.conf" sessions
check "unban of a source not banned" 1 "is not banned" -- "${CTL[@]}" unban 192.0.2.1
check "drain" 0 "^draining" -- "${CTL[@]}" drain
for _ in $(seq 1 50); do kill -0 "$TURND_PID" 2>/dev/null || break; sleep 0.1; done
kill -0 "$TURND_PID" 2>/dev/null && { echo "FAIL: turnd still runs after drain with no allocation"; failures=$((failures + 1)); } ||
  echo "ok: turnd stopped after drain"
check "nothing answers after it stopped" 1 "connect" -- "${CTL[@]}" sessions

# A non-loopback admin endpoint without a password stops startup, naming the option.
check "turnd refuses cli-ip=0.0.0.0 without cli-password" 2 "option 'cli-ip'.*cli-password" \
  -- "$TURND" -n --cli-ip 0.0.0.0 --listening-port "$PORT"

[ "$failures" = 0 ] && echo "turnctl admin: all checks passed" && exit 0
echo "turnctl admin: $failures check(s) failed"
exit 1
