#!/usr/bin/env bash
# libstun is reusable: `cmake --install` puts headers, libstun.a and a CMake package in a prefix,
# and a project outside the tree builds against it with find_package(stun).
# Usage: install_test.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
BUILD=${1:?usage: $0 build-dir source-dir}
SRC=${2:?usage: $0 build-dir source-dir}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cmake --install "$BUILD" --prefix "$WORK/prefix" >/dev/null
test -f "$WORK/prefix/include/stun/message_view.hpp"
test -f "$WORK/prefix/lib/libstun.a" || test -f "$WORK/prefix/lib/x86_64-linux-gnu/libstun.a"
cmake -S "$SRC/tests/install/consumer" -B "$WORK/consumer" -DCMAKE_PREFIX_PATH="$WORK/prefix" >/dev/null
cmake --build "$WORK/consumer" >/dev/null
"$WORK/consumer/stun_consumer"
echo "1 passed, 0 failed"
