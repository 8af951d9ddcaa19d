#!/usr/bin/env bash
# Installs what is missing, builds turnd and runs it on its embedded default configuration
# (UDP 3478 on every local address, realm "turnd"). Extra arguments go to turnd, e.g.
#   scripts/run.sh --user alice:secret
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DTURND_BENCH=OFF -DTURND_TESTS=OFF
cmake --build build --target turnd
exec build/turnd/turnd -n "$@"
