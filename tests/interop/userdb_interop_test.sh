#!/usr/bin/env bash
# The user database end to end, with coturn's own tools as the other side:
#  - a SQLite db written by coturn's turnadmin is served by turnd: turnutils_uclient authenticates;
#  - a user added with turnd's turnadmin while turnd runs can relay within 2 s; a deleted one
#    gets refused;
#  - TURN REST credentials (uclient -W secret) work beside a static user in the same realm, and a
#    wrong secret is refused.
# Usage: userdb_interop_test.sh /path/to/turnd /path/to/turnadmin
set -euo pipefail
TURND=${1:?usage: $0 turnd turnadmin}
ADMIN=${2:?usage: $0 turnd turnadmin}
WORK=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT
passed=0 failed=0
check() { if "${@:2}"; then echo "PASS: $1"; passed=$((passed + 1)); else echo "FAIL: $1"; failed=$((failed + 1)); fi; }

PORT=$((35000 + RANDOM % 5000))
PEER_PORT=$((PORT + 1))
turnutils_peer -L 127.0.0.1 -p "$PEER_PORT" >/dev/null 2>&1 &
PIDS+=("$!")

# uclient relays a few messages as USER; success = everything sent came back.
relays() {
  local log="$WORK/uclient.log"
  timeout 20 turnutils_uclient -p "$1" "${@:2}" -e 127.0.0.1 -r "$PEER_PORT" -m 1 -n 10 -l 100 \
    127.0.0.1 >"$log" 2>&1 || return 1
  grep -q "Total lost packets 0 (0.000000%)" "$log" &&
    grep -q "start_mclient: tot_send_msgs=[1-9][0-9]*, tot_recv_msgs=" "$log"
}
wait_up() { for _ in $(seq 1 50); do grep -q "listening on UDP" "$1" 2>/dev/null && return 0; sleep 0.1; done; return 1; }
eventually() { for _ in $(seq 1 20); do "$@" && return 0; sleep 0.1; done; return 1; }

# 1. A db written by coturn's turnadmin.
DB="$WORK/turndb"
turnadmin -a -b "$DB" -u cot -r example.org -p cotpass >/dev/null 2>&1
rm -f /var/log/turn_*_"$(date +%F)".log 2>/dev/null || true  # coturn's turnadmin writes one
# Wrong passwords are tried on purpose from 127.0.0.1: the built-in ban must not end the test.
"$TURND" -n --listening-ip 127.0.0.1 --listening-port "$PORT" --realm example.org -b "$DB" \
  --allow-loopback-peers --min-port 45000 --max-port 45999 --auth-ban-ignoreip 127.0.0.1 \
  >"$WORK/turnd.log" 2>&1 &
PIDS+=("$!")
wait_up "$WORK/turnd.log"
check "user added by coturn's turnadmin relays through turnd" relays "$PORT" -u cot -w cotpass
check "a wrong password is refused" bash -c "! timeout 20 turnutils_uclient -p $PORT -u cot -w nope -e 127.0.0.1 -r $PEER_PORT -m 1 -n 2 127.0.0.1 2>&1 | grep -q 'Total lost packets 0'"

# 2. Live updates with turnd's turnadmin, no restart, no SIGHUP.
"$ADMIN" -a -b "$DB" -u ours -r example.org -p ourpass
check "user added while running relays within 2 s" eventually relays "$PORT" -u ours -w ourpass
"$ADMIN" -l -b "$DB" | grep -q "cot\[example.org\]"
check "coturn's turnadmin lists the user turnd's turnadmin added" bash -c "turnadmin -l -b '$DB' 2>/dev/null | grep -q 'ours\[example.org\]'"
"$ADMIN" -d -b "$DB" -u cot -r example.org
check "a deleted user is refused within 2 s" eventually bash -c "! timeout 20 turnutils_uclient -p $PORT -u cot -w cotpass -e 127.0.0.1 -r $PEER_PORT -m 1 -n 2 127.0.0.1 2>&1 | grep -q 'Total lost packets 0'"

# 3. TURN REST credentials beside a static user in one realm.
PORT2=$((PORT + 10))
"$TURND" -n --listening-ip 127.0.0.1 --listening-port "$PORT2" --realm example.org \
  --use-auth-secret --static-auth-secret north --user static:staticpass \
  --allow-loopback-peers --min-port 46000 --max-port 46999 --auth-ban-ignoreip 127.0.0.1 \
  >"$WORK/turnd2.log" 2>&1 &
PIDS+=("$!")
wait_up "$WORK/turnd2.log"
check "REST credentials (uclient -W) relay" relays "$PORT2" -u restuser -W north
check "a static user relays in the same realm" relays "$PORT2" -u static -w staticpass
check "REST credentials from a wrong secret are refused" bash -c "! timeout 20 turnutils_uclient -p $PORT2 -u restuser -W south -e 127.0.0.1 -r $PEER_PORT -m 1 -n 2 127.0.0.1 2>&1 | grep -q 'Total lost packets 0'"

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
