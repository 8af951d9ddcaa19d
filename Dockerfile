# turnd container image: Debian 12, turnd with turnadmin and turnctl, running as the non-root
# user turnd. Configuration: mount /etc/turnserver.conf (turnd's search path; without it the
# embedded default runs). State: the volume /var/lib/turnd (put userdb=/var/lib/turnd/turndb
# in the config and edit it with `podman exec <ctr> turnadmin -a -b /var/lib/turnd/turndb ...`).
#   podman build --format docker --network host --pull=never -t turnd .
#   podman run -d --name turnd --network host \
#     -v ./turnserver.conf:/etc/turnserver.conf:ro -v turnd-state:/var/lib/turnd turnd
# --format docker keeps the HEALTHCHECK (OCI images drop it). Host networking suits a relay:
# publishing 16,384 relay ports through a bridge costs a proxy per port. SIGHUP (`podman kill
# -s HUP`) reloads config and users without dropping calls; SIGTERM (`podman stop`) stops
# cleanly and logs each allocation. The kernel fast path needs CAP_BPF and CAP_NET_ADMIN and a
# seccomp profile that lets bpf() through (podman's default allows it only with CAP_SYS_ADMIN):
# add `--user root --cap-add BPF --cap-add NET_ADMIN --security-opt seccomp=unconfined
# ... --proc-user turnd` (turnd loads the program, then drops to turnd keeping CAP_NET_ADMIN
# alone); without them it relays in user space and says so in one log line.
FROM debian:bookworm-slim AS build
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      cmake ninja-build g++ pkg-config dpkg-dev libuv1-dev libssl-dev libcli11-dev \
      prometheus-cpp-dev libcivetweb-dev nlohmann-json3-dev libsqlite3-dev libbpf-dev clang \
      libhiredis-dev libpq-dev libmariadb-dev && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY CMakeLists.txt ./
COPY cmake cmake
COPY libstun libstun
COPY turnd turnd
COPY tools tools
# The layer check (scripts/check_layers.py) runs in CI and developer builds, not here.
RUN cmake -S . -B /build -G Ninja -DCMAKE_BUILD_TYPE=Release -DTURND_TESTS=OFF -DTURND_BENCH=OFF \
      -DTURND_CHECK_LAYERS=OFF \
    && cmake --build /build --target turnd turnadmin turnctl \
    && mkdir -p /out/bin && cp /build/turnd/turnd /build/tools/turnadmin /build/tools/turnctl /out/bin/ \
    && strip /out/bin/*
# The runtime packages are those the binaries link, as dpkg-shlibdeps reads them off the ELF
# files: a library added to the build cannot be forgotten in the runtime stage.
RUN mkdir -p /tmp/shlibs/debian && cd /tmp/shlibs \
    && printf 'Source: turnd\n\nPackage: turnd\nArchitecture: any\n' >debian/control \
    && dpkg-shlibdeps -O /out/bin/* 2>/dev/null | sed -e 's/^shlibs:Depends=//' -e 's/ ([^)]*)//g' \
       -e 's/,/ /g' >/out/runtime-packages \
    && test -s /out/runtime-packages && cat /out/runtime-packages

FROM debian:bookworm-slim
COPY --from=build /out/runtime-packages /tmp/runtime-packages
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      $(cat /tmp/runtime-packages) && rm -rf /var/lib/apt/lists/* /tmp/runtime-packages \
    && useradd --system --home-dir /var/lib/turnd --shell /usr/sbin/nologin turnd \
    && mkdir -p /var/lib/turnd && chown turnd:turnd /var/lib/turnd
COPY --from=build /out/bin/ /usr/local/bin/
COPY conf/turnserver.conf /usr/share/doc/turnd/turnserver.conf.example
USER turnd
WORKDIR /var/lib/turnd
VOLUME ["/var/lib/turnd"]
# STUN/TURN (UDP, TCP; TLS and DTLS detected on the same port), TLS/DTLS, the relay range, and
# Prometheus (when `prometheus` is on).
EXPOSE 3478/udp 3478/tcp 5349/udp 5349/tcp 49152-65535/udp 9641/tcp
# A STUN Binding round trip to the address and port of the config turnd reads: healthy means a
# worker loop answers, not only that the process exists.
HEALTHCHECK --interval=30s --timeout=5s --start-period=5s --retries=3 \
  CMD ["/usr/local/bin/turnctl", "probe", "--quiet", "--timeout-ms", "3000"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/turnd"]
