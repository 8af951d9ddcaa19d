#!/usr/bin/env bash
# conf/deploy/turnd-cluster.yaml run with `podman kube play`, as an operator would start from it:
# the Redis pod and a turnd pod on host networking come up from the manifest (its ConfigMap
# mounted as turnserver.conf); turnd reads its users from that Redis; a user and a REST secret
# added with the image's turnadmin (-N) relay a turnutils_uclient call at once (keyspace
# notifications). Only what a single host cannot have is changed: the addresses and ports
# (loopback, free ones), one replica instead of three, loopback peers allowed, the image tag.
# Needs root, podman with catatonit, coturn's turnutils_*. Usage: kube_play_test.sh IMAGE
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
IMAGE=${1:?usage: $0 image}
. "$ROOT/scripts/container/podman_env.sh"
test_cleanup_extra() { podman kube down "$WORK/kube.yaml" >/dev/null 2>&1 || true; }
. "$ROOT/tests/lib/common.sh"

REDIS_PORT=$(pick_port)
PORT=$(pick_port)
PEER_PORT=$(pick_port)
METRICS_PORT=$(pick_port)
if ! podman image exists docker.io/library/redis:7.0; then
  podman build --format docker --network host --pull=never -t docker.io/library/redis:7.0 \
    -f "$HERE/redis.Containerfile" "$HERE" >"$WORK/redis-build.log" 2>&1 ||
    { tail -20 "$WORK/redis-build.log"; echo "FAIL: the Redis image"; exit 1; }
fi
sed -e "s/ip=turnd-redis port=6379/ip=127.0.0.1 port=$REDIS_PORT/" \
  -e "s/\"--port\", \"6379\"/\"--port\", \"$REDIS_PORT\"/" \
  -e "s/listening-port=3478/listening-port=$PORT\n    listening-ip=127.0.0.1\n    allow-loopback-peers\n    prometheus-port=$METRICS_PORT/" \
  -e "s/replicas: 3/replicas: 1/" -e "s#localhost/turnd:latest#$IMAGE#" \
  "$ROOT/conf/deploy/turnd-cluster.yaml" >"$WORK/kube.yaml"
grep -q "port=$REDIS_PORT" "$WORK/kube.yaml" && grep -q "replicas: 1" "$WORK/kube.yaml" ||
  { echo "FAIL: the manifest no longer has the lines this test adapts"; exit 1; }
# The Redis pod uses the host network too (podman ignores the Service): it listens on loopback.
python3 - "$WORK/kube.yaml" <<'PY'
import sys
p = sys.argv[1]
s = open(p).read()
s = s.replace("    spec:\n      containers:\n        - name: redis",
              "    spec:\n      hostNetwork: true\n      containers:\n        - name: redis", 1)
s = s.replace('"--appendonly", "yes"', '"--bind", "127.0.0.1", "--appendonly", "yes"', 1)
# podman refuses port mappings on the host network (Kubernetes takes them as information).
s = s.replace("          ports:\n            - containerPort: 6379\n", "", 1)
open(p, "w").write(s)
PY

podman kube play "$WORK/kube.yaml" >"$WORK/play.log" 2>&1 ||
  { cat "$WORK/play.log"; echo "FAIL: podman kube play"; exit 1; }
echo "ok: podman kube play started the manifest's pods"
logs() { podman logs turnd-pod-0-turnd >"$WORK/turnd.log" 2>&1 || true; }
up=""
for _ in $(seq 1 50); do
  logs
  grep -q "listening on UDP" "$WORK/turnd.log" && up=1 && break
  sleep 0.2
done
check "turnd started from the manifest's ConfigMap" 0 "Redis 127.0.0.1:$REDIS_PORT" -- \
  bash -c "[ -n '$up' ] && cat '$WORK/turnd.log'"

REDIS="ip=127.0.0.1 port=$REDIS_PORT dbname=0 connect_timeout=2"
podman exec turnd-pod-0-turnd turnadmin -a -N "$REDIS" -u kube -r example.org -p kubepass
podman exec turnd-pod-0-turnd turnadmin -s kube-secret -N "$REDIS" -r example.org
turnutils_peer -L 127.0.0.1 -p "$PEER_PORT" >/dev/null 2>&1 &
PIDS+=("$!")
relays() {
  timeout 30 turnutils_uclient -p "$PORT" "$@" -e 127.0.0.1 -r "$PEER_PORT" -m 1 -n 10 -l 100 \
    127.0.0.1 >"$WORK/uclient.log" 2>&1 || return 1
  grep -q "Total lost packets 0 (0.000000%)" "$WORK/uclient.log"
}
eventually() { for _ in $(seq 1 10); do "$@" && return 0; sleep 0.5; done; return 1; }
check "a user added with the image's turnadmin -N relays" 0 EMPTY -- eventually relays -u kube -w kubepass
check "a REST credential of the secret in Redis relays" 0 EMPTY -- relays -u kube-rest -W kube-secret
check "podman kube down stops the pods" 0 "Pods removed" -- podman kube down "$WORK/kube.yaml"
if [ "$failures" -ne 0 ]; then
  echo "kube_play: $failures check(s) failed"
  exit 1
fi
echo "kube_play: all checks passed"
