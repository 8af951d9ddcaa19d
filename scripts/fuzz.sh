#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan): the codec's (fuzz_message,
# fuzz_channel_data, fuzz_framer) and the whole request path of one worker (fuzz_worker), and
# runs each for the given seconds (default 60) on a copy of its committed seed corpus, so runs in
# CI do not grow fuzz/corpus. Exits non-zero if any target finds a crash, leak, timeout or
# out-of-memory.
#   scripts/fuzz.sh [seconds-per-target]      BUILD_DIR (default build-fuzz), JOBS (default 2)
set -euo pipefail
cd "$(dirname "$0")/.."

SECONDS_PER_TARGET=${1:-60}
BUILD_DIR=${BUILD_DIR:-build-fuzz}
JOBS=${JOBS:-2}
TARGETS=(fuzz_message fuzz_channel_data fuzz_framer fuzz_worker)

cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_COMPILER=clang++ -DTURND_FUZZ=ON -DTURND_TESTS=OFF -DTURND_BENCH=OFF
cmake --build "$BUILD_DIR" -j "$JOBS" --target "${TARGETS[@]}"

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

failed=()
for target in "${TARGETS[@]}"; do
  mkdir -p "$WORK/$target/corpus" "$WORK/$target/artifacts"
  cp -r "fuzz/corpus/$target/." "$WORK/$target/corpus/"
  echo "== $target: ${SECONDS_PER_TARGET} s"
  # libFuzzer exits non-zero on any finding and writes the input to artifacts/.
  if "$BUILD_DIR/fuzz/$target" "$WORK/$target/corpus" -max_total_time="$SECONDS_PER_TARGET" \
    -max_len=4096 -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
    -artifact_prefix="$WORK/$target/artifacts/" >"$WORK/$target/log" 2>&1; then
    grep -E '^stat::(number_of_executed_units|average_exec_per_sec)' "$WORK/$target/log" || true
    echo "   corpus: $(find "$WORK/$target/corpus" -type f | wc -l) inputs"
  else
    tail -n 60 "$WORK/$target/log"
    for artifact in "$WORK/$target/artifacts"/*; do
      [ -e "$artifact" ] || continue
      echo "-- $(basename "$artifact") (hex):"
      od -An -tx1 -v "$artifact" | head -n 40
    done
    failed+=("$target")
  fi
done

if [ ${#failed[@]} -ne 0 ]; then
  echo "fuzzing found problems in: ${failed[*]}" >&2
  exit 1
fi
echo "== fuzzing found nothing"
