#!/usr/bin/env bash
# The database-server user stores end to end, each on the real server (Debian's redis-server,
# postgresql, mariadb-server, on loopback) with coturn's own turnadmin as the other side:
#  - users and a TURN REST secret written by coturn's turnadmin are served by turnd
#    (turnutils_uclient relays with the password and with a REST credential, -W);
#  - a user added with our turnadmin while turnd runs relays without a restart (Redis: by
#    keyspace notification with userdb-refresh at 60 s; SQL: the 1 s refresh), and coturn's
#    turnadmin lists it; a user deleted with coturn's turnadmin is refused;
#  - the database stopped (SIGSTOP: it accepts, never answers): relaying and new allocations of
#    known users go on, the outage is logged once; continued (SIGCONT): turnd logs it back and
#    a user added afterwards relays.
# Takes about 2.5 minutes (uclient sessions of ~6 s each).
# Usage: userdb_servers_test.sh /path/to/turnd /path/to/turnadmin
set -euo pipefail
TURND=${1:?usage: $0 turnd turnadmin}
ADMIN=${2:?usage: $0 turnd turnadmin}
source "$(dirname "$0")/../lib/common.sh"
source "$(dirname "$0")/../lib/databases.sh"

PEER_PORT=$(pick_port)
turnutils_peer -L 127.0.0.1 -p "$PEER_PORT" >/dev/null 2>&1 &
PIDS+=("$!")
REALM=db.test

# relays PORT uclient-args...: a short uclient session; success = nothing lost.
relays() {
  local port=$1 log="$WORK/uclient-$RANDOM.log"
  shift
  timeout 20 turnutils_uclient -p "$port" "$@" -e 127.0.0.1 -r "$PEER_PORT" -m 1 -n 10 -l 100 \
    127.0.0.1 >"$log" 2>&1 || return 1
  grep -q "Total lost packets 0 (0.000000%)" "$log" &&
    grep -q "start_mclient: tot_send_msgs=[1-9][0-9]*, tot_recv_msgs=" "$log"
}
refused() { ! relays "$@"; }
# eventually SECONDS command...: retried every 0.5 s until it succeeds or time is up.
eventually() {
  local until=$((SECONDS + $1))
  shift
  while [ "$SECONDS" -lt "$until" ]; do "$@" && return 0; sleep 0.5; done
  return 1
}
logged() { grep -q -- "$2" "$1"; }
count_lines() { grep -c -- "$2" "$1" || true; }

# run_backend NAME OPTION CONN TURNADMIN-FLAG PAUSE-PID REFRESH
run_backend() {
  local name=$1 option=$2 conn=$3 flag=$4 db_pid=$5 refresh=$6
  local port log="$WORK/turnd-$1.log"
  port=$(pick_port)
  coturn_turnadmin -a "$flag" "$conn" -u cot -r "$REALM" -p cotpass >/dev/null
  coturn_turnadmin -a "$flag" "$conn" -u gone -r "$REALM" -p gonepass >/dev/null
  coturn_turnadmin -s north "$flag" "$conn" -r "$REALM" >/dev/null
  "$TURND" -n --listening-ip 127.0.0.1 --listening-port "$port" --realm "$REALM" \
    "--$option" "$conn" --userdb-refresh "$refresh" --use-auth-secret \
    --allow-loopback-peers --min-port 47000 --max-port 47999 --auth-ban-ignoreip 127.0.0.1 \
    --relay-threads 1 >"$log" 2>&1 &
  local turnd_pid=$!
  PIDS+=("$turnd_pid")
  eventually 5 logged "$log" "listening on UDP"
  check "$name: turnd read coturn's users at startup" 0 "user\(s\)" -- grep "user database $name" "$log"
  check "$name: a user written by coturn's turnadmin relays" 0 EMPTY -- relays "$port" -u cot -w cotpass
  check "$name: a REST credential from coturn's turnadmin's secret relays" 0 EMPTY -- \
    relays "$port" -u rest-user -W north
  check "$name: a wrong password is refused" 0 EMPTY -- refused "$port" -u cot -w nope

  if [ "$name" = Redis ]; then
    # coturn's other Redis form: a plain password instead of the key.
    redis-cli -p "$REDIS_PORT" SET "turn/realm/$REALM/user/plain/password" plainpass >/dev/null
    check "$name: a user stored with a plain password relays" 0 EMPTY -- \
      eventually 10 relays "$port" -u plain -w plainpass
  fi
  "$ADMIN" -a "$flag" "$conn" -u ours -r "$REALM" -p ourpass
  check "$name: a user added by our turnadmin relays while turnd runs" 0 EMPTY -- \
    eventually 10 relays "$port" -u ours -w ourpass
  check "$name: coturn's turnadmin lists the user ours added" 0 "ours\[$REALM\]" -- \
    coturn_turnadmin -l "$flag" "$conn"
  coturn_turnadmin -d "$flag" "$conn" -u gone -r "$REALM" >/dev/null
  check "$name: a user deleted by coturn's turnadmin is refused" 0 EMPTY -- \
    eventually 10 refused "$port" -u gone -w gonepass

  # A database that accepts and never answers: the watcher's read times out on its thread.
  pause_db "$db_pid"
  kill -HUP "$turnd_pid"  # read now, whatever the refresh timer says
  check "$name: the outage is logged" 0 EMPTY -- eventually 20 logged "$log" "keep serving"
  local started=$SECONDS
  check "$name: known users still relay while the database hangs" 0 EMPTY -- \
    relays "$port" -u ours -w ourpass
  # uclient's session takes about 6 s here; one that waited on the database would time out.
  check "$name: ... without waiting for it" 0 EMPTY -- test $((SECONDS - started)) -lt 12
  sleep "$((refresh < 3 ? 3 : 1))"
  check "$name: the outage is logged once" 0 "^1$" -- count_lines "$log" "keep serving"
  resume_db "$db_pid"
  check "$name: the recovery is logged" 0 EMPTY -- eventually 20 logged "$log" "reachable again"
  "$ADMIN" -a "$flag" "$conn" -u after -r "$REALM" -p afterpass
  kill -HUP "$turnd_pid"
  check "$name: a user added after the outage relays" 0 EMPTY -- \
    eventually 15 relays "$port" -u after -w afterpass
  kill "$turnd_pid"
  wait "$turnd_pid" 2>/dev/null || true
}

# Redis with keyspace notifications: changes arrive without the 60 s refresh.
REDIS_PORT=$(pick_port)
start_redis "$REDIS_PORT" --notify-keyspace-events KEA
run_backend Redis redis-userdb "$REDIS_CONN" -N "$REDIS_PID" 60
start_postgres "$(pick_port)"
run_backend PostgreSQL psql-userdb "$PG_CONN" -e "$PG_PID" 1
start_mariadb "$(pick_port)"
run_backend MySQL mysql-userdb "$MDB_CONN" -M "$MDB_PID" 1

# Configuration errors stop startup naming the option.
check "two user databases are refused" 2 "only one user database" -- \
  "$TURND" -n --listening-port "$(pick_port)" -b "$WORK/x.db" --redis-userdb "$REDIS_CONN"
check "a misspelt connection key is named" 1 "unknown key 'prt'" -- \
  "$ADMIN" -l -M "host=127.0.0.1 prt=1"

if [ "$failures" -ne 0 ]; then
  echo "userdb_servers: $failures check(s) failed"
  exit 1
fi
echo "userdb_servers: all checks passed"
