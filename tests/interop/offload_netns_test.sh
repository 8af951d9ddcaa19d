#!/usr/bin/env bash
# The kernel fast path across devices: client, server and peer each in a network namespace of
# their own, joined by veth pairs (client 10.201.1.2 -- 10.201.1.1 server 10.201.2.1 -- 10.201.2.2
# peer), the server listening on one side and relaying from the other (the two-NIC deployment).
# coturn's turnutils_uclient relays ChannelData through turnd to turnutils_peer with
# kernel-offload=off and then =on, with the veths' checksum offload on (packets carry
# CHECKSUM_PARTIAL) and off (full checksums, which the program must fix exactly). Each run must
# lose nothing; with the offload on, turnd's exit counters must show the kernel relayed the
# traffic (offloaded_packets) and user space did not (client_to_peer counted from the maps).
# Needs root; creates and deletes only its own namespaces.
# Usage: offload_netns_test.sh /path/to/turnd
set -euo pipefail
TURND=${1:?usage: $0 /path/to/turnd}
if [ "$(id -u)" != 0 ]; then echo "SKIP: needs root (network namespaces, BPF)"; exit 0; fi
for tool in turnutils_uclient turnutils_peer ip ethtool; do
  command -v "$tool" >/dev/null || { echo "FAIL: $tool not installed"; exit 1; }
done

TAG=td$$
NS_C=${TAG}c NS_S=${TAG}s NS_P=${TAG}p
WORK=$(mktemp -d)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for ns in "$NS_C" "$NS_S" "$NS_P"; do ip netns del "$ns" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

for ns in "$NS_C" "$NS_S" "$NS_P"; do
  ip netns add "$ns"
  ip -n "$ns" link set lo up
done
ip link add "${TAG}c0" netns "$NS_C" type veth peer name "${TAG}s0" netns "$NS_S"
ip link add "${TAG}s1" netns "$NS_S" type veth peer name "${TAG}p0" netns "$NS_P"
ip -n "$NS_C" addr add 10.201.1.2/24 dev "${TAG}c0"
ip -n "$NS_S" addr add 10.201.1.1/24 dev "${TAG}s0"
ip -n "$NS_S" addr add 10.201.2.1/24 dev "${TAG}s1"
ip -n "$NS_P" addr add 10.201.2.2/24 dev "${TAG}p0"
for pair in "$NS_C ${TAG}c0" "$NS_S ${TAG}s0" "$NS_S ${TAG}s1" "$NS_P ${TAG}p0"; do
  set -- $pair
  ip -n "$1" link set "$2" up
done
ip -n "$NS_C" route add default via 10.201.1.1
ip -n "$NS_P" route add default via 10.201.2.1

checksum_offload() {  # on|off on every veth end
  ip netns exec "$NS_C" ethtool -K "${TAG}c0" tx "$1" >/dev/null
  ip netns exec "$NS_S" ethtool -K "${TAG}s0" tx "$1" >/dev/null
  ip netns exec "$NS_S" ethtool -K "${TAG}s1" tx "$1" >/dev/null
  ip netns exec "$NS_P" ethtool -K "${TAG}p0" tx "$1" >/dev/null
}

ip netns exec "$NS_P" turnutils_peer -L 10.201.2.2 -p 3480 >"$WORK/peer.log" 2>&1 &
PIDS+=("$!")

failures=0
run() {  # name kernel-offload tx-checksum-offload
  local name=$1 offload=$2 csum=$3 log="$WORK/turnd-$1.log"
  checksum_offload "$csum"
  ip netns exec "$NS_S" "$TURND" -n --listening-ip 10.201.1.1 --relay-ip 10.201.2.1 \
    --listening-port 3478 --realm example.org --user alice:secret \
    --allowed-peer-ip 10.201.2.2 --min-port 49152 --max-port 49999 --relay-threads 1 \
    --kernel-offload "$offload" >"$log" 2>&1 &
  local turnd_pid=$!
  PIDS+=("$turnd_pid")
  local up=0
  for _ in $(seq 1 50); do
    grep -q "listening on UDP" "$log" && { up=1; break; }
    sleep 0.1
  done
  if [ "$up" != 1 ] && grep -q "built without libbpf" "$log"; then
    echo "SKIP: $name: this turnd was built without the kernel fast path"; return
  fi
  if [ "$up" != 1 ]; then echo "FAIL: $name: turnd did not start"; tail -5 "$log"; failures=$((failures + 1)); return; fi
  local ulog="$WORK/uclient-$name.log"
  if ! timeout 120 ip netns exec "$NS_C" turnutils_uclient -p 3478 -u alice -w secret \
       -e 10.201.2.2 -r 3480 -m 10 -n 300 -l 1000 10.201.1.1 >"$ulog" 2>&1; then
    echo "FAIL: $name: uclient exited non-zero"; tail -5 "$ulog"; failures=$((failures + 1))
  fi
  kill -TERM "$turnd_pid"
  wait "$turnd_pid" || true
  local totals sent recv offloaded
  totals=$(grep "start_mclient: tot_send_msgs=" "$ulog" | tail -1 || true)
  sent=$(sed -n 's/.*tot_send_msgs=\([0-9]*\), tot_recv_msgs=\([0-9]*\).*/\1/p' <<<"$totals")
  recv=$(sed -n 's/.*tot_send_msgs=\([0-9]*\), tot_recv_msgs=\([0-9]*\).*/\2/p' <<<"$totals")
  offloaded=$(grep -o "offloaded_packets=[0-9]*" "$log" | cut -d= -f2 || true)
  offloaded=${offloaded:-0}
  if ! grep -q "Total lost packets 0 (0.000000%)" "$ulog" || [ -z "$sent" ] || [ "$sent" -lt 3000 ] ||
     [ "$sent" != "$recv" ]; then
    echo "FAIL: $name: sent=${sent:-?} received=${recv:-?}"; failures=$((failures + 1)); return
  fi
  # Both directions of every message but the few sent before the channel was bound.
  if [ "$offload" = on ] && [ "$offloaded" -lt $((sent * 2 * 9 / 10)) ]; then
    echo "FAIL: $name: the kernel relayed $offloaded of $((sent * 2)) packets"
    grep "kernel offload\|counters at exit" "$log"; failures=$((failures + 1)); return
  fi
  if [ "$offload" = off ] && [ "$offloaded" != 0 ]; then
    echo "FAIL: $name: offloaded_packets=$offloaded with kernel-offload=off"; failures=$((failures + 1)); return
  fi
  echo "PASS: $name: sent=$sent received=$recv lost=0, kernel relayed $offloaded packets"
}

run user-space off on
run offload-partial-checksums on on
run offload-full-checksums on off

if [ "$failures" -ne 0 ]; then echo "FAIL: $failures offload run(s) failed"; exit 1; fi
echo "PASS: offload across namespaces"
