# Sourced by the shell tests: a work directory ($WORK) removed at exit, the processes the test
# started (append their PIDs to PIDS) killed at exit, and free ports. A test with more to undo
# defines test_cleanup_extra before the exit.
WORK=$(mktemp -d)
PIDS=()
test_cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  if [ "$(type -t test_cleanup_extra)" = function ]; then test_cleanup_extra; fi
  rm -rf "$WORK"
}
trap test_cleanup EXIT

# A port in 20000-29999 that nothing binds now over UDP or TCP, nor the port after it (TURN
# tests use port+1 for a peer or a second listener).
pick_port() {
  local p q busy
  for _ in $(seq 1 50); do
    p=$((20000 + RANDOM % 10000))
    busy=""
    for q in "$p" "$((p + 1))"; do
      if ss -Hauln "sport = :$q" | grep -q . || ss -Hatln "sport = :$q" | grep -q .; then busy=1; fi
    done
    [ -z "$busy" ] && { echo "$p"; return 0; }
  done
  return 1
}

# check NAME EXPECTED_STATUS OUTPUT_PATTERN|EMPTY -- command...: runs the command, prints ok or
# FAIL (with its output) and counts failures in $failures. The output is left in $WORK/out.
failures=0
check() {
  local name=$1 want=$2 pattern=$3
  shift 4
  local status=0
  "$@" >"$WORK/out" 2>&1 || status=$?
  local seen=0
  if [ "$pattern" = EMPTY ]; then [ -s "$WORK/out" ] || seen=1; else grep -Eq "$pattern" "$WORK/out" && seen=1; fi
  if [ "$status" = "$want" ] && [ "$seen" = 1 ]; then
    echo "ok: $name"
  else
    echo "FAIL: $name: status $status (wanted $want), output: $(cat "$WORK/out")"
    failures=$((failures + 1))
  fi
}
