#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test: the doctest suites and the coturn
# interop test (normal build, then ASan+UBSan build), the unit suites of a Release build (with
# the kernel fast path forced on, as root), the fuzz targets on their corpora, the container
# image (built and run with podman) and the .deb (installed in a clean Debian 12 container), a
# micro-benchmark smoke run and the clang-format check.
# Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --tests
JOBS=${JOBS:-$(nproc)}
# The container tests' base image (debootstrap: mostly download and disk, little CPU) is made
# while the first build compiles.
mkdir -p build
bash scripts/container/make_base_image.sh >build/base_image.log 2>&1 &
base_image_pid=$!

echo "== format check"
git ls-files '*.cpp' '*.hpp' | xargs clang-format --dry-run --Werror

echo "== build and test (RelWithDebInfo, -Werror)"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTURND_WERROR=ON
cmake --build build -j "$JOBS"
(cd build && ctest --output-on-failure -j 1)

echo "== release build and unit suites (-O3 -DNDEBUG: what scripts/run.sh and the Dockerfile build)"
# GCC warns at -O3 where it does not at -O2 (-Wstringop-overflow through inlined std::vector) and
# NDEBUG drops every assert, so the tests are built and run here too, not only turnd. The cases
# that wait out a timer of a second or more (lifetimes, the nonce's and the ban's expiry, the slow
# loris, drain, accept backoff, bandwidth refill) have run in the build above: left out here, the
# suites take about 35 s instead of 70 s. The step adds about 4 minutes on 2 cores.
RELEASE_SLOW_CASES='*slow loris*,auth ban: maxretry*,auth: an expired nonce*,channel-bind: a channel expires*'
RELEASE_SLOW_CASES+=',create-permission: permissions expire*,refresh: extends*'
RELEASE_SLOW_CASES+=',refresh: an allocation that is not refreshed*,drain:*,accept backoff:*,max-bps caps*'
cmake -S . -B build-release -G Ninja -DCMAKE_BUILD_TYPE=Release -DTURND_WERROR=ON -DTURND_BENCH=OFF \
  -DTURND_TESTS=ON
cmake --build build-release -j "$JOBS" --target turnd turnadmin turnctl man_pages test_libstun \
  test_userdb test_turnd test_turnd_heap
# The Debian package of this build (tested below, in a clean Debian 12 container).
rm -f build-release/turnd_*.deb
(cd build-release && cpack -G DEB >/dev/null)
build-release/tests/libstun/test_libstun
build-release/tests/userdb/test_userdb
build-release/tests/turnd/test_turnd_heap
# As root, this run has the kernel fast path forced on in every test server
# (TURND_TEST_KERNEL_OFFLOAD=on): the suites above ran in user space, so each client test passes
# both ways. Without root the fast path cannot load, and the suites run in user space again.
if [ "$(id -u)" = 0 ]; then
  echo "(kernel fast path forced on in every test server)"
  export TURND_TEST_KERNEL_OFFLOAD=on
fi
build-release/tests/turnd/test_turnd --test-case-exclude="$RELEASE_SLOW_CASES"
unset TURND_TEST_KERNEL_OFFLOAD

echo "== benchmark smoke run"
build/bench/micro/bench_stun --benchmark_min_time=0.01 >/dev/null

echo "== build and test (ASan + UBSan)"
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DTURND_SANITIZE=ON -DTURND_BENCH=OFF
cmake --build build-asan -j "$JOBS"
# coturn's uclient sends fewer messages per client here (200, not 500): the sanitizers need every
# path run, not the volume, and the pass is about two minutes shorter.
(cd build-asan && ASAN_OPTIONS=detect_leaks=1 TURND_INTEROP_MESSAGES=200 ctest --output-on-failure -j 1)

# The container test (podman builds the Dockerfile and runs the image) overlaps the fuzzers: each
# fuzzer runs for a fixed time whatever else the machine does, so the pair costs the longer of
# the two, not their sum. Its output is printed when both are done.
echo "== container image and .deb (podman, alongside the fuzzers; output below)"
container_status=0
wait "$base_image_pid" || { cat build/base_image.log; echo "== FAILED: the base image"; exit 1; }
(
  status=0
  bash tests/container/container_test.sh || status=1
  bash tests/package/deb_test.sh build-release/turnd_*.deb || status=1
  exit "$status"
) >build/container_test.log 2>&1 &
container_pid=$!

echo "== fuzz targets (${FUZZ_SECONDS:-60} s each on the committed corpus)"
fuzz_status=0
bash scripts/fuzz.sh "${FUZZ_SECONDS:-60}" || fuzz_status=$?
wait "$container_pid" || container_status=$?
echo "== container image and .deb: test output"
cat build/container_test.log
if [ "$fuzz_status" != 0 ] || [ "$container_status" != 0 ]; then
  echo "== FAILED: fuzz targets exit $fuzz_status, container and .deb tests exit $container_status"
  exit 1
fi

echo "== all tests passed"
