#!/usr/bin/env bash
# turnd scraped by a real Prometheus (Debian's prometheus package), and the Grafana dashboard's
# queries evaluated against it:
#  - coturn's turnutils_uclient relays 10 clients x 100 messages through turnd, then three signed
#    Allocates with a wrong password get 127.0.0.1 banned (auth-ban-maxretry=3);
#  - Prometheus's HTTP query API returns what was sent: turn_total_traffic_rcvp/sentp equal to
#    uclient's message counts, rcvb/sentb to messages x length, turn_total_allocations{type="UDP"}
#    to turnd's own live count, turnd_auth_failures_total 3, turnd_bans_total 1,
#    turnd_banned_sources 1, and the loop lag histogram;
#  - every query of conf/grafana/turnd.json ($instance and $__rate_interval filled in) runs
#    without error and returns series, and every metric it names is one turnd exports.
# Usage: prometheus_test.sh /path/to/turnd
set -euo pipefail
TURND=${1:?usage: $0 /path/to/turnd}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
for tool in prometheus turnutils_uclient turnutils_peer curl; do
  command -v "$tool" >/dev/null || { echo "FAIL: $tool is not installed (scripts/setup.sh --tests)"; exit 1; }
done
. "$ROOT/tests/lib/common.sh"
PORT=$(pick_port)
PEER_PORT=$(pick_port)
METRICS_PORT=$(pick_port)
PROM_PORT=$(pick_port)

"$TURND" -n --listening-ip 127.0.0.1 --listening-port "$PORT" --relay-threads 2 \
  --realm example.org --user alice:secret --allow-loopback-peers --min-port 46000 --max-port 46999 \
  --prometheus --prometheus-address 127.0.0.1 --prometheus-port "$METRICS_PORT" \
  --auth-ban-maxretry 3 >"$WORK/turnd.log" 2>&1 &
PIDS+=("$!")
turnutils_peer -L 127.0.0.1 -p "$PEER_PORT" >"$WORK/peer.log" 2>&1 &
PIDS+=("$!")
cat >"$WORK/prometheus.yml" <<YML
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: turnd
    static_configs:
      - targets: ["127.0.0.1:$METRICS_PORT"]
YML
prometheus --config.file="$WORK/prometheus.yml" --storage.tsdb.path="$WORK/data" \
  --web.listen-address="127.0.0.1:$PROM_PORT" >"$WORK/prometheus.log" 2>&1 &
PIDS+=("$!")
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PROM_PORT/-/ready" >/dev/null 2>&1 && break; sleep 0.2; done
curl -sf "http://127.0.0.1:$PROM_PORT/-/ready" >/dev/null || { echo "FAIL: prometheus did not start"; tail "$WORK/prometheus.log"; exit 1; }

timeout 60 turnutils_uclient -p "$PORT" -u alice -w secret -e 127.0.0.1 -r "$PEER_PORT" -m 10 -n 100 \
  -l 200 127.0.0.1 >"$WORK/uclient.log" 2>&1 || { echo "FAIL: uclient"; tail -5 "$WORK/uclient.log"; exit 1; }
totals=$(grep "start_mclient: tot_send_msgs=" "$WORK/uclient.log" | tail -1)
SENT=$(sed -n 's/.*tot_send_msgs=\([0-9]*\), tot_recv_msgs=\([0-9]*\).*/\1/p' <<<"$totals")
RECEIVED=$(sed -n 's/.*tot_send_msgs=\([0-9]*\), tot_recv_msgs=\([0-9]*\).*/\2/p' <<<"$totals")
echo "uclient: sent $SENT, received $RECEIVED messages of 200 bytes"

# Three signed Allocates with a wrong password, each after a fresh 401 (a nonce of ours).
python3 - "$PORT" "$ROOT/bench/soak" <<'PY'
import sys
sys.path.insert(0, sys.argv[2])
import stunmsg as stun
from perm_flood import Client
for _ in range(3):
    c = Client(("127.0.0.1", int(sys.argv[1])), "127.0.0.1", "alice", "wrong")
    m = c.request(stun.ALLOCATE, [stun.attr(stun.REQUESTED_TRANSPORT, b"\x11\0\0\0")])
    assert m is not None and m.error_code() == 401, "expected a 401"
PY

python3 - "$PROM_PORT" "$METRICS_PORT" "$SENT" "$RECEIVED" "$ROOT/conf/grafana/turnd.json" <<'PY'
import json, re, sys, time, urllib.parse, urllib.request
prom, metrics_port, sent, received, dashboard = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
failures = 0
def check(ok, what):
    global failures
    print(("PASS: " if ok else "FAIL: ") + what)
    failures += 0 if ok else 1
def query(expr):
    url = f"http://127.0.0.1:{prom}/api/v1/query?" + urllib.parse.urlencode({"query": expr})
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return json.load(r)
    except urllib.error.HTTPError as e:
        return json.load(e)
def value(expr):
    d = query(expr)
    res = d.get("data", {}).get("result", [])
    return float(res[0]["value"][1]) if d.get("status") == "success" and res else None
def exposition():
    with urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/metrics", timeout=5) as r:
        return r.read().decode()
def direct(name):
    m = re.search(r"^" + re.escape(name) + r" (\S+)$", exposition(), re.M)
    return float(m.group(1)) if m else None

# What Prometheus holds once it has scraped the final state (bounded wait).
expected = {
    "turn_total_traffic_rcvp": sent, "turn_total_traffic_sentp": received,
    "turn_total_traffic_rcvb": sent * 200, "turn_total_traffic_sentb": received * 200,
    "turn_total_traffic_peer_sentp": sent, "turn_total_traffic_peer_rcvp": received,
    "turnd_auth_failures_total": 3, "turnd_bans_total": 1, "turnd_banned_sources": 1,
}
deadline = time.time() + 30
while time.time() < deadline and any(value(f'sum({k}{{job="turnd"}})') != v for k, v in expected.items()):
    time.sleep(0.5)
for k, v in expected.items():
    got = value(f'sum({k}{{job="turnd"}})')
    check(got == v, f"{k} through Prometheus = {got} (expected {v})")
udp = value('turn_total_allocations{job="turnd",type="UDP"}')
live = direct('turn_total_allocations{type="UDP"}')
check(udp is not None and udp == live and udp >= 1, f"turn_total_allocations{{type=\"UDP\"}} = {udp} (turnd says {live})")
lag = value('sum(turnd_loop_lag_seconds_count{job="turnd"})')
check(lag is not None and lag >= 4, f"turnd_loop_lag_seconds_count over the workers = {lag}")
check(value('count(turnd_loop_lag_seconds_bucket{job="turnd",le="+Inf"})') == 2, "a loop lag histogram per worker (2)")

# The dashboard: every query runs and returns series, every metric it names is exported.
exported = set()
for line in exposition().splitlines():
    if line.startswith("# TYPE "):
        name, kind = line.split()[2:4]
        exported.add(name)
        if kind == "histogram":
            exported.update({name + "_bucket", name + "_count", name + "_sum"})
dash = json.load(open(dashboard))
exprs = [t["expr"] for p in dash["panels"] for t in p["targets"]]
time.sleep(3)  # a few more scrapes for the rate() windows
for expr in exprs:
    filled = expr.replace("$__rate_interval", "30s").replace('instance=~"$instance"', 'instance=~".+"')
    names = set(re.findall(r"\b((?:turn|turnd|stun)_[a-z0-9_]+)\b", filled))
    unknown = sorted(n for n in names if n not in exported)
    d = query(filled)
    ok = d.get("status") == "success" and not unknown and len(d["data"]["result"]) > 0
    check(ok, f"dashboard query {expr!r}: {d.get('status')}, {len(d.get('data', {}).get('result', []))} series"
              + (f", unknown metrics {unknown}" if unknown else "") + (f", error {d.get('error')}" if d.get("error") else ""))
print(f"dashboard: {len(exprs)} queries in {len(dash['panels'])} panels")
sys.exit(1 if failures else 0)
PY
