#!/usr/bin/env bash
# Installs the Debian 12 packages turnd's build and benchmarks need and, with --tests, what the
# tests need too (coturn's turnutils_* clients, fail2ban-regex, Chromium for the browser test,
# podman with runc and debootstrap for the container test, Prometheus for the metrics test,
# Redis, PostgreSQL and MariaDB for the database user stores' tests).
# Idempotent: installs only what is missing. Run as root.
set -euo pipefail
PACKAGES=(
  cmake ninja-build g++ clang libclang-rt-14-dev pkg-config clang-format
  libuv1-dev libssl-dev libcli11-dev prometheus-cpp-dev doctest-dev libbenchmark-dev
  libsqlite3-dev sqlite3 python3 iproute2 procps libbpf-dev libcivetweb-dev nlohmann-json3-dev
  libhiredis-dev libpq-dev libmariadb-dev
)
if [ "${1:-}" = "--tests" ]; then
  PACKAGES+=(coturn fail2ban chromium libnss3-tools ethtool podman runc debootstrap prometheus
    redis-server postgresql mariadb-server catatonit)
fi
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  # coturn is wanted for its turnutils_* clients and fail2ban for fail2ban-regex: keep their
  # services from starting during the install (policy-rc.d 101 = "action forbidden").
  guard=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
    guard=/usr/sbin/policy-rc.d
  fi
  apt-get install -y -q --no-install-recommends "${missing[@]}" || { [ -n "$guard" ] && rm -f "$guard"; exit 1; }
  [ -n "$guard" ] && rm -f "$guard"
fi
true
