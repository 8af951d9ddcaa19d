# turnd container: build on Debian 12, run as a non-root user on the embedded default config
# (or a mounted /etc/turnserver.conf). Build and run with podman:
#   podman build --format docker --network host --pull=never -t turnd .
#   podman run -d --network host turnd --user alice:secret
FROM debian:bookworm-slim AS build
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      cmake ninja-build g++ pkg-config libuv1-dev libssl-dev libcli11-dev prometheus-cpp-dev \
      libsqlite3-dev && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY CMakeLists.txt ./
COPY libstun libstun
COPY turnd turnd
COPY tools tools
COPY tests tests
COPY bench bench
# The layer check (scripts/check_layers.py) runs in CI and developer builds, not here.
RUN cmake -S . -B /build -G Ninja -DCMAKE_BUILD_TYPE=Release -DTURND_TESTS=OFF -DTURND_BENCH=OFF \
    -DTURND_CHECK_LAYERS=OFF \
    && cmake --build /build --target turnd && strip /build/turnd/turnd

FROM debian:bookworm-slim
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libuv1 libssl3 libsqlite3-0 && rm -rf /var/lib/apt/lists/* && useradd --system --no-create-home turnd
COPY --from=build /build/turnd/turnd /usr/local/bin/turnd
COPY conf/turnserver.conf /usr/share/doc/turnd/turnserver.conf.example
USER turnd
EXPOSE 3478/udp
ENTRYPOINT ["/usr/local/bin/turnd"]
CMD ["-n"]
