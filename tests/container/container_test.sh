#!/usr/bin/env bash
# The Dockerfile, built and run as an operator would with podman:
#  - the image builds from a clean tree (base image made locally: no registry here), runs as the
#    non-root user turnd, declares its HEALTHCHECK and the STUN/TURN, TLS, relay and metrics ports;
#  - turnadmin in the image writes the user db on the mounted state volume; turnd reads the
#    mounted /etc/turnserver.conf; `podman healthcheck run` reports healthy (turnctl probe: a
#    real Binding round trip);
#  - coturn's turnutils_uclient relays a call through the container to turnutils_peer;
#  - a user added with `podman exec ... turnadmin` and `podman kill -s HUP` can allocate at once,
#    while an allocation made before the reload is still served after it;
#  - `podman stop` (SIGTERM to PID 1) stops turnd by itself (exit status 0, before the stop
#    timeout would SIGKILL it) and the open allocation is logged as it ends;
#  - run as the README says for the kernel fast path, the image loads it, drops to its user, the
#    kernel relays the call, and the TC filter is gone after the stop;
#  - conf/deploy/turnd-cluster.yaml runs with podman kube play (tests/container/kube_play_test.sh).
# Needs root, podman (runc), debootstrap and coturn's turnutils_*. Usage: container_test.sh [tag]
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
TAG=${1:-localhost/turnd:test}
NAME=turnd-test-$$
for tool in podman debootstrap turnutils_uclient turnutils_peer; do
  command -v "$tool" >/dev/null || { echo "FAIL: $tool is not installed (scripts/setup.sh --tests)"; exit 1; }
done
. "$ROOT/scripts/container/podman_env.sh"
test_cleanup_extra() { podman rm -f "$NAME" >/dev/null 2>&1 || true; }
. "$ROOT/tests/lib/common.sh"
# podman logs an error for each healthcheck timer it cannot give systemd (none here): harmless.
pm() { podman "$@" 2> >(grep -v "systemd connection" >&2); }
# Whether the container's log has PATTERN. Not `podman logs | grep -q`: under pipefail, grep's
# early exit makes podman die of SIGPIPE and the pipeline fail although the line is there.
logs_have() { podman logs "$NAME" >"$WORK/container.log" 2>&1; grep -q "$1" "$WORK/container.log"; }
failures=0
pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

bash "$ROOT/scripts/container/make_base_image.sh"
start=$(date +%s)
if ! podman build --format docker --network host --pull=never -t "$TAG" "$ROOT" >"$WORK/build.log" 2>&1; then
  tail -30 "$WORK/build.log"
  echo "FAIL: podman build"
  exit 1
fi
pass "image $TAG built in $(($(date +%s) - start)) s"

# The image's declared configuration.
user=$(podman image inspect --format '{{.Config.User}}' "$TAG")
[ "$user" = turnd ] && pass "runs as user $user" || fail "image user is '$user', expected turnd"
health=$(podman image inspect --format '{{json .Config.Healthcheck}}' "$TAG")
grep -q '"turnctl","probe"' <<<"${health//\/usr\/local\/bin\//}" && pass "HEALTHCHECK: $health" ||
  fail "no turnctl probe HEALTHCHECK: $health"
ports=$(podman image inspect --format '{{json .Config.ExposedPorts}}' "$TAG")
missing=""
for p in 3478/udp 3478/tcp 5349/udp 5349/tcp 49152-65535/udp; do
  grep -q "\"$p\"" <<<"$ports" || missing+=" $p"
done
[ -z "$missing" ] && pass "exposes $ports" || fail "does not expose$missing ($ports)"

# Configuration and state as an operator mounts them: the state volume is the turnd user's.
PORT=$(pick_port)
PEER_PORT=$(pick_port)
uid=$(pm run --rm --network none --entrypoint id "$TAG" -u)
mkdir -p "$WORK/state"
chown "$uid" "$WORK/state"
cat >"$WORK/turnserver.conf" <<CONF
listening-ip=127.0.0.1
listening-port=$PORT
relay-threads=1
realm=example.org
userdb=/var/lib/turnd/turndb
min-port=45000
max-port=45999
allow-loopback-peers
CONF
MOUNTS=(-v "$WORK/turnserver.conf:/etc/turnserver.conf:ro" -v "$WORK/state:/var/lib/turnd")
if pm run --rm --network none "${MOUNTS[@]}" --entrypoint turnadmin "$TAG" -a -b /var/lib/turnd/turndb \
     -u alice -r example.org -p secret >"$WORK/turnadmin.log" 2>&1; then
  pass "turnadmin in the image wrote the user db on the volume"
else
  fail "turnadmin in the image: $(cat "$WORK/turnadmin.log")"
fi

pm run -d --name "$NAME" --network host "${MOUNTS[@]}" "$TAG" >/dev/null
healthy=""
for _ in $(seq 1 30); do
  if podman healthcheck run "$NAME" >/dev/null 2>&1; then healthy=1; break; fi
  sleep 0.5
done
status=$(podman inspect --format '{{.State.Health.Status}}' "$NAME" 2>/dev/null || true)
if [ -n "$healthy" ] && [ "$status" = healthy ]; then
  pass "healthy ($(podman exec "$NAME" turnctl probe))"
else
  fail "not healthy (status '$status')"
  podman logs "$NAME" | tail -20
fi
grep -q "configuration: /etc/turnserver.conf" <(podman logs "$NAME" 2>&1) &&
  pass "turnd read the mounted /etc/turnserver.conf" || fail "turnd did not read /etc/turnserver.conf"
# A healthcheck must fail when turnd does not answer: probe a port nothing serves.
if podman exec "$NAME" turnctl probe --server "127.0.0.1:$PEER_PORT" --timeout-ms 500 >/dev/null 2>&1; then
  fail "turnctl probe succeeded against a port nothing serves"
else
  pass "turnctl probe fails against a port nothing serves"
fi

# A real call through the container.
turnutils_peer -L 127.0.0.1 -p "$PEER_PORT" >"$WORK/peer.log" 2>&1 &
PIDS+=("$!")
call() {  # call USER PASSWORD: relays 10 clients x 100 messages; prints sent/received
  timeout 60 turnutils_uclient -p "$PORT" -u "$1" -w "$2" -e 127.0.0.1 -r "$PEER_PORT" -m 10 -n 100 \
    -l 200 127.0.0.1 >"$WORK/uclient-$1.log" 2>&1 || return 1
  grep -q "Total lost packets 0 (0.000000%)" "$WORK/uclient-$1.log" || return 1
  grep "start_mclient: tot_send_msgs=" "$WORK/uclient-$1.log" | tail -1 | sed 's/.*start_mclient: //'
}
if out=$(call alice secret); then pass "turnutils_uclient relayed through the container: $out"; else
  fail "the call through the container failed"; tail -5 "$WORK/uclient-alice.log"; fi

# An allocation held open across the reload and the stop.
cat >"$WORK/hold.py" <<'PY'
import sys, time
sys.path.insert(0, sys.argv[3])
import stunmsg as stun
from perm_flood import Client
port, ready = int(sys.argv[1]), sys.argv[2]
c = Client(("127.0.0.1", port), "127.0.0.1", "alice", "secret")
m = c.request(stun.ALLOCATE, [stun.attr(stun.REQUESTED_TRANSPORT, b"\x11\0\0\0"),
                              stun.attr(stun.LIFETIME, (600).to_bytes(4, "big"))])
if m is None or m.cls != stun.SUCCESS:
    print("allocate failed", file=sys.stderr); sys.exit(1)
open(ready, "w").close()
# Refresh every second until the server stops answering; print how many were answered.
answered = 0
deadline = time.time() + 120
while time.time() < deadline:
    time.sleep(1)
    r = c.request(stun.REFRESH, [stun.attr(stun.LIFETIME, (600).to_bytes(4, "big"))])
    if r is None:
        break
    if r.cls == stun.SUCCESS:
        answered += 1
        open(ready + ".refreshed", "w").write(str(answered))
print(answered)
PY
python3 "$WORK/hold.py" "$PORT" "$WORK/held" "$ROOT/bench/soak" >"$WORK/hold.out" 2>&1 &
HOLD_PID=$!
PIDS+=("$HOLD_PID")
for _ in $(seq 1 50); do [ -e "$WORK/held" ] && break; sleep 0.1; done
[ -e "$WORK/held" ] && pass "an allocation is held open" || fail "could not hold an allocation: $(cat "$WORK/hold.out")"

# Reload: a user added to the db on the volume can allocate after SIGHUP.
podman exec "$NAME" turnadmin -a -b /var/lib/turnd/turndb -u bob -r example.org -p bobpass
podman kill -s HUP "$NAME" >/dev/null
for _ in $(seq 1 50); do logs_have "reload: configuration and users applied" && break; sleep 0.1; done
if logs_have "reload: configuration and users applied"; then
  pass "SIGHUP reloaded: $(podman logs "$NAME" 2>&1 | grep -m1 'reload: configuration' | sed 's/.*reload: //')"
else
  fail "no reload line after podman kill -s HUP"
fi
if out=$(call bob bobpass); then pass "the user added before the reload relays: $out"; else
  fail "the user added before the reload cannot relay"; tail -5 "$WORK/uclient-bob.log"; fi
before=$(cat "$WORK/held.refreshed" 2>/dev/null || echo 0)
sleep 2.5
after=$(cat "$WORK/held.refreshed" 2>/dev/null || echo 0)
[ "$after" -gt "$before" ] && pass "the allocation from before the reload is still refreshed ($before -> $after)" ||
  fail "the allocation from before the reload stopped answering ($before -> $after)"

# Stop: SIGTERM to PID 1; turnd must stop itself well inside the 20 s before SIGKILL.
start=$(date +%s%N)
pm stop -t 20 "$NAME" >/dev/null
took_ms=$((($(date +%s%N) - start) / 1000000))
code=$(podman inspect --format '{{.State.ExitCode}}' "$NAME")
if [ "$code" = 0 ] && [ "$took_ms" -lt 10000 ]; then
  pass "podman stop: turnd exited 0 after SIGTERM in $took_ms ms"
else
  fail "podman stop: exit code $code after $took_ms ms (137 = killed at the timeout)"
fi
logs=$(podman logs "$NAME" 2>&1)
grep -q "signal Terminated: stopping" <<<"$logs" && pass "SIGTERM logged" || fail "no 'stopping' line for SIGTERM"
ended=$(grep "allocation end: .*user=alice .*reason=shutdown" <<<"$logs" | tail -1 || true)
if [ -n "$ended" ]; then
  pass "the held allocation was logged as it ended: ${ended#*allocation end: }"
else
  fail "no allocation end line for the held allocation"; grep "allocation" <<<"$logs" | tail -5
fi
wait "$HOLD_PID" 2>/dev/null || true

# The kernel fast path in the container, as the README says to run it: root with CAP_BPF and
# CAP_NET_ADMIN to load, seccomp letting bpf() through (podman's default profile allows it only
# with CAP_SYS_ADMIN), then proc-user turnd. The kernel relays the call; the filter comes off.
filters_before=$(tc filter show dev lo ingress | grep -c turnd || true)
podman rm -f "$NAME" >/dev/null 2>&1
pm run -d --name "$NAME" --network host --user root --cap-add BPF --cap-add NET_ADMIN \
  --security-opt seccomp=unconfined "${MOUNTS[@]}" "$TAG" --kernel-offload on --proc-user turnd >/dev/null
for _ in $(seq 1 50); do pm exec "$NAME" turnctl probe -q --timeout-ms 500 >/dev/null 2>&1 && break; sleep 0.2; done
pid_user=$(ps -o user= -C turnd -o args= | grep -- "--proc-user turnd" | awk '{print $1}' | head -1)
if logs_have "kernel offload: bound UDP channels relayed" && [ "$pid_user" != root ]; then
  pass "fast path loaded in the container, turnd then ran as ${pid_user:-?}"
else
  fail "fast path not loaded in the container (user '${pid_user:-?}')"; podman logs "$NAME" 2>&1 | tail -5
fi
if out=$(call alice secret); then pass "the call through the container with the fast path: $out"; else
  fail "the call with the fast path failed"; tail -5 "$WORK/uclient-alice.log"; fi
pm stop -t 20 "$NAME" >/dev/null
offloaded=$(podman logs "$NAME" 2>&1 | grep -o "offloaded_packets=[0-9]*" | cut -d= -f2 || true)
filters_after=$(tc filter show dev lo ingress | grep -c turnd || true)
if [ "${offloaded:-0}" -ge 1000 ] && [ "$filters_after" = "$filters_before" ]; then
  pass "the kernel relayed $offloaded packets; the TC filter came off at stop"
else
  fail "offloaded ${offloaded:-0} packets (expected >= 1000), filters on lo $filters_before -> $filters_after"
fi

# The cluster manifest (conf/deploy/turnd-cluster.yaml) on this image, with podman kube play.
podman rm -f "$NAME" >/dev/null 2>&1
if bash "$HERE/kube_play_test.sh" "$TAG"; then pass "conf/deploy's manifest runs under podman kube play"; else
  fail "conf/deploy's manifest under podman kube play"; fi

[ "$failures" = 0 ] && echo "container: all checks passed" && exit 0
echo "container: $failures check(s) failed"
exit 1
