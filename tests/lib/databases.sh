# Sourced by shell tests that need a real database server (after common.sh): each start_*
# function runs Debian's server on loopback under $WORK, waits until it answers, appends its
# PID to PIDS (killed at exit by common.sh) and sets the connection string turnd and turnadmin
# (coturn's and ours) take. Recipes: ../shared/reference/databases.md.

# start_redis PORT [EXTRA redis-server ARGS...] -> REDIS_PID, REDIS_CONN
start_redis() {
  local port=$1
  shift
  redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no "$@" \
    >"$WORK/redis-$port.log" 2>&1 &
  REDIS_PID=$!
  PIDS+=("$REDIS_PID")
  REDIS_CONN="ip=127.0.0.1 port=$port dbname=0 connect_timeout=2"
  for _ in $(seq 1 50); do
    redis-cli -p "$port" ping 2>/dev/null | grep -q PONG && return 0
    sleep 0.1
  done
  echo "redis-server did not start: $(cat "$WORK/redis-$port.log")"
  return 1
}

# start_postgres PORT -> PG_PID, PG_CONN (database "coturn" with coturn's schema.sql loaded)
start_postgres() {
  local port=$1 dir="$WORK/pg-$1" bin=/usr/lib/postgresql/15/bin
  mkdir -p "$dir" && chmod 777 "$WORK" "$dir"
  su postgres -s /bin/sh -c "$bin/initdb -D $dir/data -A trust" >"$dir/initdb.log" 2>&1 ||
    { echo "initdb failed: $(cat "$dir/initdb.log")"; return 1; }
  # setpriv execs without forking: the PID is the postmaster's own, so signals reach it.
  setpriv --reuid=postgres --regid=postgres --clear-groups \
    "$bin/postgres" -D "$dir/data" -k "$dir" -p "$port" -c listen_addresses=127.0.0.1 \
    >"$dir/server.log" 2>&1 &
  PG_PID=$!
  PIDS+=("$PG_PID")
  local admin="host=127.0.0.1 port=$port dbname=postgres user=postgres"
  for _ in $(seq 1 100); do
    psql "$admin" -qtAc "select 1" >/dev/null 2>&1 && break
    sleep 0.1
  done
  psql "$admin" -qc "CREATE DATABASE coturn" >/dev/null &&
    psql "host=127.0.0.1 port=$port dbname=coturn user=postgres" -q -f /usr/share/coturn/schema.sql ||
    { echo "postgres did not start: $(cat "$dir/server.log")"; return 1; }
  PG_CONN="host=127.0.0.1 port=$port dbname=coturn user=postgres connect_timeout=2"
}

# start_mariadb PORT -> MDB_PID, MDB_CONN, MDB_SOCK (database "coturn" with coturn's schema.sql,
# user turn/tpw)
start_mariadb() {
  local port=$1 dir="$WORK/mdb-$1"
  mkdir -p "$dir"
  mariadb-install-db --datadir="$dir/data" --user=root --auth-root-authentication-method=normal \
    >"$dir/install.log" 2>&1 || { echo "mariadb-install-db failed: $(cat "$dir/install.log")"; return 1; }
  MDB_SOCK="$dir/sock"
  mariadbd --datadir="$dir/data" --socket="$MDB_SOCK" --port="$port" --bind-address=127.0.0.1 \
    --user=root --skip-log-bin >"$dir/server.log" 2>&1 &
  MDB_PID=$!
  PIDS+=("$MDB_PID")
  for _ in $(seq 1 100); do
    mariadb -S "$MDB_SOCK" -u root -e "select 1" >/dev/null 2>&1 && break
    sleep 0.1
  done
  mariadb -S "$MDB_SOCK" -u root -e "CREATE DATABASE coturn" &&
    mariadb -S "$MDB_SOCK" -u root coturn </usr/share/coturn/schema.sql &&
    mariadb -S "$MDB_SOCK" -u root -e "CREATE USER 'turn'@'127.0.0.1' IDENTIFIED BY 'tpw'; GRANT ALL ON coturn.* TO 'turn'@'127.0.0.1'" ||
    { echo "mariadb did not start: $(cat "$dir/server.log")"; return 1; }
  MDB_CONN="host=127.0.0.1 port=$port dbname=coturn user=turn password=tpw connect_timeout=2"
}

# pause_db PID / resume_db PID: SIGSTOP / SIGCONT a server and its children (PostgreSQL serves
# each connection from a child process): it still accepts connections, and never answers.
pause_db() { kill -STOP "$1" $(pgrep -P "$1") 2>/dev/null || true; }
resume_db() { kill -CONT "$1" $(pgrep -P "$1") 2>/dev/null || true; }

# coturn's turnadmin writes a log file under /var/log per run; remove today's after using it.
coturn_turnadmin() {
  turnadmin "$@" 2>/dev/null
  local status=$?
  rm -f /var/log/turn_*_"$(date +%F)".log 2>/dev/null || true
  return $status
}

# At exit (common.sh calls test_cleanup_extra before removing $WORK): stop the servers and wait
# for them, so none still writes under $WORK while it is removed. A test with cleanup of its own
# calls stop_databases from its test_cleanup_extra.
stop_databases() {
  local pid
  for pid in ${REDIS_PID:-} ${PG_PID:-} ${MDB_PID:-}; do
    resume_db "$pid"
    kill "$pid" 2>/dev/null || true
  done
  for pid in ${REDIS_PID:-} ${PG_PID:-} ${MDB_PID:-}; do
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  done
  return 0
}
if [ "$(type -t test_cleanup_extra)" != function ]; then
  test_cleanup_extra() { stop_databases; }
fi
