#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test: the doctest suites and the coturn
# interop test (normal build, then ASan+UBSan build), the fuzz targets on their corpora, a
# micro-benchmark smoke run and the clang-format check. Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --tests
JOBS=${JOBS:-$(nproc)}

echo "== format check"
git ls-files '*.cpp' '*.hpp' | xargs clang-format --dry-run --Werror

echo "== build and test (RelWithDebInfo, -Werror)"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTURND_WERROR=ON
cmake --build build -j "$JOBS"
(cd build && ctest --output-on-failure -j 1)

echo "== release build of turnd (the configuration scripts/run.sh and the Dockerfile use)"
cmake -S . -B build-release -G Ninja -DCMAKE_BUILD_TYPE=Release -DTURND_BENCH=OFF -DTURND_TESTS=OFF
cmake --build build-release -j "$JOBS" --target turnd turnadmin

echo "== benchmark smoke run"
build/bench/micro/bench_stun --benchmark_min_time=0.01 >/dev/null

echo "== build and test (ASan + UBSan)"
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DTURND_SANITIZE=ON -DTURND_BENCH=OFF
cmake --build build-asan -j "$JOBS"
(cd build-asan && ASAN_OPTIONS=detect_leaks=1 ctest --output-on-failure -j 1)

echo "== fuzz targets (${FUZZ_SECONDS:-60} s each on the committed corpus)"
bash scripts/fuzz.sh "${FUZZ_SECONDS:-60}"

echo "== all tests passed"
