#!/usr/bin/env bash
# Smoke test of the benchmark harness: bench/compare.py --quick over audio, video, send and
# alloc against turnd, coturn and the bare forwarder (2 s per run, loopback only). It checks
# that the harness, the generator and the forwarder work together, not the performance targets:
# fails if compare.py exits non-zero (a server did not start, a run failed setup), or if any
# turnd or floor run lost more than 1 % of its packets or had setup failures.
# Usage: bench_smoke_test.sh /path/to/turnd /path/to/turnd_load /path/to/turnd_floor
set -euo pipefail
TURND=${1:?usage: $0 TURND TURND_LOAD TURND_FLOOR}
LOAD=${2:?usage: $0 TURND TURND_LOAD TURND_FLOOR}
FLOOR=${3:?usage: $0 TURND TURND_LOAD TURND_FLOOR}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
command -v turnserver >/dev/null || { echo "FAIL: turnserver not installed (apt-get install coturn)"; exit 1; }

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
OUT="$WORK/bench-results.json"

status=0
python3 "$ROOT/bench/compare.py" --quick --scenarios audio,video,send,alloc \
  --servers turnd,coturn,floor --turnd "$TURND" --load "$LOAD" --floor "$FLOOR" \
  --out "$OUT" || status=$?
if [ "$status" != 0 ]; then
  echo "FAIL: compare.py exited with $status"
  exit 1
fi

# Every turnd/floor run: status ok, loss <= 1 %, no setup failure. coturn's figures are not
# judged here: it is the reference, not the subject.
python3 - "$OUT" <<'EOF'
import json, sys
runs = json.load(open(sys.argv[1]))["runs"]
passed = failed = 0
for r in runs:
    if r["server"] not in ("turnd", "floor"):
        continue
    name = f"{r['scenario']}/{r['server']}"
    problems = []
    if r["status"] != "ok":
        problems.append(f"status {r['status']}: {r.get('reason', '')}")
    if (r.get("loss_pct") or 0) > 1:
        problems.append(f"loss {r['loss_pct']:.2f}% > 1%")
    if r.get("setup_failures"):
        problems.append(f"{r['setup_failures']} setup failures")
    if problems:
        failed += 1
        print(f"FAIL: {name}: " + "; ".join(problems))
    else:
        passed += 1
        print(f"PASS: {name}")
if passed == 0:
    failed += 1
    print("FAIL: no turnd or floor run in the results")
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
EOF
