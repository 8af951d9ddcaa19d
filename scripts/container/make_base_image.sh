#!/usr/bin/env bash
# Makes the Dockerfile's base image, debian:bookworm-slim, with debootstrap and imports it into
# podman's store: where no registry is reachable (CI here), FROM must name a local image.
# Skips the work when the image is already there. Usage: make_base_image.sh [tag]
set -euo pipefail
TAG=${1:-debian:bookworm-slim}
MIRROR=${MIRROR:-http://deb.debian.org/debian}
SECURITY_MIRROR=${SECURITY_MIRROR:-http://deb.debian.org/debian-security}
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/podman_env.sh"
if podman image exists "$TAG"; then
  echo "base image $TAG: already in the store"
  exit 0
fi
ROOTFS=$(mktemp -d "$CT_BASE/rootfs.XXXXXX")
chmod 755 "$ROOTFS"  # the image's / (mktemp makes it 0700: no user but root could enter it)
LOG=$CT_BASE/make_base_image.log
trap 'rm -rf "$ROOTFS"' EXIT
debootstrap --variant=minbase bookworm "$ROOTFS" "$MIRROR" >"$LOG" 2>&1 || { tail -20 "$LOG"; exit 1; }
rm -f "$ROOTFS/etc/apt/sources.list"
cat >"$ROOTFS/etc/apt/sources.list.d/debian.sources" <<SOURCES
Types: deb
URIs: $MIRROR
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $SECURITY_MIRROR
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES
# As the official slim image: no documentation or locales from later installs, no services
# started by package scripts, apt's caches dropped after each install.
printf '%s\n' 'path-exclude /usr/share/doc/*' 'path-include /usr/share/doc/*/copyright' \
  'path-exclude /usr/share/man/*' 'path-exclude /usr/share/info/*' \
  'path-exclude /usr/share/locale/*' >"$ROOTFS/etc/dpkg/dpkg.cfg.d/docker"
echo 'force-unsafe-io' >"$ROOTFS/etc/dpkg/dpkg.cfg.d/docker-apt-speedup"
printf '%s\n' 'DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb || true"; };' \
  'Dir::Cache::pkgcache "";' 'Dir::Cache::srcpkgcache "";' >"$ROOTFS/etc/apt/apt.conf.d/docker-clean"
echo 'Acquire::Languages "none";' >"$ROOTFS/etc/apt/apt.conf.d/docker-no-languages"
printf '#!/bin/sh\nexit 101\n' >"$ROOTFS/usr/sbin/policy-rc.d"
chmod 755 "$ROOTFS/usr/sbin/policy-rc.d"
cp /etc/resolv.conf "$ROOTFS/etc/resolv.conf"
{
  chroot "$ROOTFS" apt-get update -q &&
    DEBIAN_FRONTEND=noninteractive chroot "$ROOTFS" apt-get -y -q upgrade &&
    chroot "$ROOTFS" apt-get clean
} >>"$LOG" 2>&1 || { tail -20 "$LOG"; exit 1; }
rm -rf "$ROOTFS"/var/lib/apt/lists/* "$ROOTFS"/var/log/*.log "$ROOTFS"/var/log/apt/* \
  "$ROOTFS"/usr/share/man/* "$ROOTFS"/usr/share/locale/* "$ROOTFS"/tmp/*
: >"$ROOTFS/etc/resolv.conf"
tar --numeric-owner --xattrs -C "$ROOTFS" -c . | podman import --change 'CMD ["bash"]' - "$TAG" >>"$LOG" 2>&1
echo "base image $TAG: made with debootstrap"
