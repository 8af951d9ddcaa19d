#!/usr/bin/env bash
# A turnd cluster in network namespaces, and a rolling upgrade with no failed call:
#  - three nodes (namespaces tcN1..3, 10.16.0.11-13) and Redis (10.16.0.1, a password, keyspace
#    notifications)
#    on one bridge; clients and turnutils_peer in a fourth namespace (10.16.0.100). Every node
#    reads the users and the TURN REST secret from that Redis, lists all three nodes as
#    alternate-server, and runs alternate-server-mode=overflow: it serves, and redirects only
#    when full or draining;
#  - a REST credential minted once (expiry:user, HMAC-SHA1 of the secret in Redis) relays
#    through every node, and no node redirects it;
#  - a full node (node 3: total-quota=1, held by an allocation) redirects: turnctl allocate follows the
#    signed 300 to another node;
#  - rolling upgrade: with calls running on every node and new calls arriving all the time
#    (turnctl allocate every 0.3 s, turnutils_uclient calls back to back, round robin over the
#    nodes in rotation), each node in turn is drained (SIGUSR1: new Allocates are redirected),
#    taken out of rotation 3 s later, exits by itself once its calls ended, is started again
#    and put back. Zero failed Allocates, zero lost packets on the calls that were running.
# The counts are printed at the end. Needs root (ip netns), redis-server, coturn's turnutils_*.
# By hand: KEEP=1 keeps the namespaces and processes up at the end until Enter is pressed.
# Usage: cluster_test.sh /path/to/turnd /path/to/turnctl /path/to/turnadmin
set -euo pipefail
TURND=$(realpath "${1:?usage: $0 turnd turnctl turnadmin}")
TURNCTL=$(realpath "${2:?usage: $0 turnd turnctl turnadmin}")
ADMIN=$(realpath "${3:?usage: $0 turnd turnctl turnadmin}")
for tool in ip redis-server turnutils_uclient turnutils_peer openssl; do
  command -v "$tool" >/dev/null || { echo "FAIL: $tool is not installed (scripts/setup.sh --tests)"; exit 1; }
done
TAG="tc$$"
NS_BR="${TAG}br" NS_CL="${TAG}cl"
NODES=(1 2 3)
ns_of() { echo "${TAG}n$1"; }
ip_of() { echo "10.16.0.1$1"; }
test_cleanup_extra() {
  # CLUSTER_LOGS=DIR keeps every log (the nodes', the calls') for a look afterwards.
  if [ -n "${CLUSTER_LOGS:-}" ]; then mkdir -p "$CLUSTER_LOGS" && cp -r "$WORK"/. "$CLUSTER_LOGS"/; fi
  for ns in "$NS_BR" "$NS_CL" "$(ns_of 1)" "$(ns_of 2)" "$(ns_of 3)"; do
    ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null || true
    ip netns del "$ns" 2>/dev/null || true
  done
}
. "$(dirname "$0")/../lib/common.sh"

# --- The network: one bridge, every namespace on it -------------------------------------------
ip netns add "$NS_BR"
ip -n "$NS_BR" link set lo up
ip -n "$NS_BR" link add br0 type bridge
ip -n "$NS_BR" addr add 10.16.0.1/24 dev br0
ip -n "$NS_BR" link set br0 up
attach() {  # attach NAMESPACE ADDRESS
  local ns=$1 addr=$2 i=$((++attached))
  ip netns add "$ns"
  ip -n "$ns" link set lo up
  ip link add "${TAG}v$i" netns "$ns" type veth peer name "b$i" netns "$NS_BR"
  ip -n "$ns" link set "${TAG}v$i" name eth0
  ip -n "$ns" addr add "$addr/24" dev eth0
  ip -n "$ns" link set eth0 up
  ip -n "$NS_BR" link set "b$i" master br0 up
}
attached=0
for n in "${NODES[@]}"; do attach "$(ns_of "$n")" "$(ip_of "$n")"; done
attach "$NS_CL" 10.16.0.100

# --- Redis with the users and the REST secret -------------------------------------------------
ip netns exec "$NS_BR" redis-server --bind 10.16.0.1 --port 6379 --save "" --appendonly no \
  --notify-keyspace-events KEA --requirepass redis-s3cret >"$WORK/redis.log" 2>&1 &
PIDS+=("$!")
REDIS="ip=10.16.0.1 port=6379 dbname=0 password=redis-s3cret connect_timeout=2"
for _ in $(seq 1 50); do ip netns exec "$NS_BR" redis-cli -h 10.16.0.1 --no-auth-warning -a redis-s3cret ping 2>/dev/null | grep -q PONG && break; sleep 0.1; done
REALM=cluster.test
SECRET=cluster-rest-secret
ip netns exec "$NS_BR" "$ADMIN" -a -N "$REDIS" -u alice -r "$REALM" -p alice-pass
ip netns exec "$NS_BR" "$ADMIN" -s "$SECRET" -N "$REDIS" -r "$REALM"
# The REST credential, minted once for every node: expiry:user, base64(HMAC-SHA1(secret, name)).
REST_USER="$(($(date +%s) + 3600)):webrtc-user"
REST_PASS=$(printf '%s' "$REST_USER" | openssl dgst -sha1 -hmac "$SECRET" -binary | base64)

ip netns exec "$NS_CL" turnutils_peer -L 10.16.0.100 -p 3480 >"$WORK/peer.log" 2>&1 &
PIDS+=("$!")

# --- The nodes --------------------------------------------------------------------------------
for n in "${NODES[@]}"; do
  {
    echo "listening-ip=$(ip_of "$n")"
    echo "listening-port=3478"
    echo "tls-listening-port=0"
    echo "relay-threads=1"
    echo "realm=$REALM"
    echo "redis-userdb=\"$REDIS\""
    echo "use-auth-secret"
    echo "allowed-peer-ip=10.16.0.100"
    for m in "${NODES[@]}"; do echo "alternate-server=$(ip_of "$m"):3478"; done
    echo "alternate-server-mode=overflow"
    echo "drain-min-allocations=0"
    echo "kernel-offload=off"
    echo "verbose"
    # turnutils_uclient leaves an idle allocation behind when it exits: a drained node waits
    # for it to expire, so keep that short here.
    echo "max-allocate-lifetime=15"
  } >"$WORK/n$n.conf"
  [ "$n" = 3 ] && echo "total-quota=1" >>"$WORK/n$n.conf"
done
declare -A NODE_PID
start_node() {
  local n=$1 log="$WORK/n$1.log"
  ip netns exec "$(ns_of "$n")" "$TURND" -c "$WORK/n$n.conf" >>"$log" 2>&1 &
  NODE_PID[$n]=$!
  PIDS+=("$!")
  for _ in $(seq 1 50); do
    local up
    up=$(grep -c "listening on UDP" "$log" 2>/dev/null || true)
    [ "${up:-0}" -ge "${2:-1}" ] && return 0
    sleep 0.1
  done
  echo "FAIL: node $n did not start: $(tail -5 "$log")"
  exit 1
}
for n in "${NODES[@]}"; do start_node "$n"; done
for n in "${NODES[@]}"; do
  for _ in $(seq 1 50); do grep -q "user database Redis.*user(s)" "$WORK/n$n.log" && break; sleep 0.1; done
done

# uclient CALL-NAME NODE MESSAGES: one call (one allocation, -c) through NODE, log kept.
uclient() {
  ip netns exec "$NS_CL" timeout 90 turnutils_uclient -p 3478 -u "$REST_USER" -w "$REST_PASS" \
    -e 10.16.0.100 -r 3480 -m 1 -c -n "$3" -z 30 -l 120 "$(ip_of "$2")" >"$WORK/call-$1.log" 2>&1
}
call_clean() {  # lost nothing and sent something
  grep -q "Total lost packets 0 (0.000000%)" "$WORK/call-$1.log" &&
    grep -q "start_mclient: tot_send_msgs=[1-9]" "$WORK/call-$1.log"
}
allocate() {  # allocate NODE: turnctl's Allocate (following 300s), JSON on stdout
  ip netns exec "$NS_CL" "$TURNCTL" allocate --server "$(ip_of "$1"):3478" --username "$REST_USER" \
    --credential "$REST_PASS" --json --timeout-ms 3000
}

# --- A full node redirects --------------------------------------------------------------------
# Node 3 holds one allocation (turnctl --keep: it stays until its lifetime ends) and is full.
check "node 3 takes one allocation" 0 '"server":"10.16.0.13:3478"' -- bash -c \
  "ip netns exec $NS_CL $TURNCTL allocate --server 10.16.0.13:3478 --username '$REST_USER' --credential '$REST_PASS' --json --keep"
check "full node 3 redirects a new Allocate to another node" 0 '"redirects":\["10.16.0.13:3478"\]' -- allocate 3
cp "$WORK/out" "$WORK/allocate.json"
check "... which serves it" 0 '"server":"10.16.0.1[12]:3478"' -- cat "$WORK/allocate.json"
check "node 3 logged the redirect" 0 "allocate redirected: .*alternate=10.16.0.1[12]:3478" -- cat "$WORK/n3.log"
# Node 3 unlimited again, live (SIGHUP): coturn's uclient follows a 300 only on its first
# Allocate, so a node filling up between its two would fail its call.
sed -i '/^total-quota=/d' "$WORK/n3.conf"
kill -HUP "${NODE_PID[3]}"
for _ in $(seq 1 50); do grep -q "reload: configuration and users applied" "$WORK/n3.log" && break; sleep 0.1; done

# --- Every node serves the one REST credential -----------------------------------------------
for n in "${NODES[@]}"; do
  check "node $n serves the REST credential itself" 0 "\"server\":\"$(ip_of "$n"):3478\"" -- allocate "$n"
  cp "$WORK/out" "$WORK/allocate.json"
  check "node $n did not redirect it" 0 '"redirects":\[\]' -- cat "$WORK/allocate.json"
  uclient "rest-$n" "$n" 20 || true
  check "node $n relays a call with the REST credential" 0 EMPTY -- call_clean "rest-$n"
done

# --- Rolling upgrade --------------------------------------------------------------------------
echo "1 2 3" >"$WORK/rotation"
STOP="$WORK/stop-clients"
# New Allocates all the time: turnctl every 0.3 s, round robin over the rotation (bounded:
# 1000 attempts or the stop file).
allocate_loop() {
  local i=0 n nodes
  while [ ! -e "$STOP" ] && [ $i -lt 1000 ]; do
    read -r -a nodes <"$WORK/rotation"
    n=${nodes[$((i % ${#nodes[@]}))]}
    if out=$(allocate "$n" 2>&1); then echo "ok $n $out"; else echo "FAIL $n $out"; fi
    i=$((i + 1))
    sleep 0.3
  done >"$WORK/allocates.log"
}
call_loop() {  # uclient calls back to back (bounded: 200 calls or the stop file)
  local i=0 n nodes
  while [ ! -e "$STOP" ] && [ $i -lt 200 ]; do
    read -r -a nodes <"$WORK/rotation"
    n=${nodes[$((i % ${#nodes[@]}))]}
    if uclient "new-$i" "$n" 30 && call_clean "new-$i"; then echo "ok $n"; else echo "FAIL $n new-$i"; fi
    i=$((i + 1))
  done >"$WORK/calls.log"
}
allocate_loop &
loop_a=$!
call_loop &
loop_b=$!
running=0
for n in "${NODES[@]}"; do
  # Calls running on every node when node n is drained (about 9 s each).
  for m in "${NODES[@]}"; do
    uclient "run-$n-$m" "$m" 300 &
    eval "run_$m=$!"
    running=$((running + 1))
  done
  sleep 1
  kill -USR1 "${NODE_PID[$n]}"
  # Clients still pointed at node n (DNS caches) are redirected; then it leaves the rotation.
  sleep 3
  echo "${NODES[@]/$n/}" | xargs >"$WORK/rotation"
  exited=""
  for _ in $(seq 1 600); do kill -0 "${NODE_PID[$n]}" 2>/dev/null || { exited=1; break; }; sleep 0.1; done
  status=0
  wait "${NODE_PID[$n]}" || status=$?
  check "node $n drained: exited by itself with status 0 once its calls ended" 0 EMPTY -- \
    test -n "$exited" -a "$status" = 0
  start_node "$n" 2
  echo "1 2 3" >"$WORK/rotation"
  for m in "${NODES[@]}"; do
    eval "wait \$run_$m" || true
    check "call on node $m while node $n was upgraded lost nothing" 0 EMPTY -- call_clean "run-$n-$m"
  done
done
sleep 2
touch "$STOP"
wait "$loop_a" "$loop_b" || true

attempts=$(grep -c . "$WORK/allocates.log" || true)
failed=$(grep -c '^FAIL' "$WORK/allocates.log" || true)
redirected=$(grep -c '"redirects":\["' "$WORK/allocates.log" || true)
calls=$(grep -c . "$WORK/calls.log" || true)
calls_failed=$(grep -c '^FAIL' "$WORK/calls.log" || true)
check "new Allocates during the upgrade: none failed ($attempts made, $redirected redirected)" 0 EMPTY -- \
  test "$failed" = 0 -a "$attempts" -gt 20 -a "$redirected" -gt 0
grep '^FAIL' "$WORK/allocates.log" | head -3 || true
check "new uclient calls during the upgrade: none failed ($calls made)" 0 EMPTY -- \
  test "$calls_failed" = 0 -a "$calls" -gt 3
grep '^FAIL' "$WORK/calls.log" | head -3 || true
echo "cluster: $attempts new Allocates ($redirected redirected by a draining or full node), $failed failed;" \
  "$calls new uclient calls, $calls_failed failed; $running calls running through the three drains," \
  "packets lost on them: $(grep -h 'Total lost packets' "$WORK"/call-run-*.log | grep -vc 'packets 0 ' || true) call(s) with loss"

if [ "${KEEP:-}" = 1 ]; then
  echo "KEEP=1: namespaces ${TAG}*, logs in $WORK; press Enter to tear down"
  read -r _
fi
if [ "$failures" -ne 0 ]; then
  echo "cluster: $failures check(s) failed"
  exit 1
fi
echo "cluster: all checks passed"
