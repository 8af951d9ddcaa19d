# Source this: podman configured for a root shell on a host like CI's (Debian 12, podman 4.3,
# hybrid cgroups, no systemd, no CAP_SYS_RESOURCE), with all its state under $CT_BASE (default
# /tmp/turnd-containers) instead of /var/lib/containers. Why each setting:
#  - runtime runc: crun refuses hybrid cgroups ("drop all controllers from cgroupv2");
#  - default_ulimits at this shell's hard limits: podman's default nofile=1048576 cannot be set
#    without CAP_SYS_RESOURCE ("error setting rlimit ... operation not permitted");
#  - cgroupfs and a file events logger: there is no systemd.
CT_BASE=${CT_BASE:-/tmp/turnd-containers}
mkdir -p "$CT_BASE"/storage "$CT_BASE"/run "$CT_BASE"/libpod-tmp "$CT_BASE"/tmp "$CT_BASE"/networks
ct_nofile=$(ulimit -Hn)
[ "$ct_nofile" = unlimited ] && ct_nofile=1048576
ct_nproc=$(ulimit -Hu)
{ [ "$ct_nproc" = unlimited ] || [ "$ct_nproc" -gt 32768 ]; } && ct_nproc=32768
cat >"$CT_BASE/containers.conf" <<CONF
[containers]
default_ulimits = ["nofile=${ct_nofile}:${ct_nofile}", "nproc=${ct_nproc}:${ct_nproc}"]

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
tmp_dir = "$CT_BASE/libpod-tmp"

[network]
network_config_dir = "$CT_BASE/networks"
CONF
cat >"$CT_BASE/storage.conf" <<CONF
[storage]
driver = "overlay"
graphroot = "$CT_BASE/storage"
runroot = "$CT_BASE/run"
CONF
export CONTAINERS_CONF="$CT_BASE/containers.conf"
export CONTAINERS_STORAGE_CONF="$CT_BASE/storage.conf"
export TMPDIR="$CT_BASE/tmp"
export BUILDAH_TMPDIR="$CT_BASE/tmp"
unset ct_nofile ct_nproc
