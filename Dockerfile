# SPDX-License-Identifier: Apache-2.0
# port_exporter container image. Two stages from the same Debian 12 base: the build stage
# compiles with the build packages of scripts/install-deps.sh (no test tools); the runtime
# stage holds the binary, its four shared-library packages and the default config, and
# runs as nobody.
# Build: `docker build .` or `podman build .` (public debian:bookworm-slim base), or
# scripts/build-image.sh (CI, offline: a debootstrap base made locally, passed as
# --build-arg BASE_IMAGE=localhost/debian-bookworm-minbase:latest, plus VERSION/REVISION
# for the OCI labels). Run: see docs/deploy.md.
ARG BASE_IMAGE=docker.io/library/debian:bookworm-slim

FROM ${BASE_IMAGE} AS build
ENV DEBIAN_FRONTEND=noninteractive
# Dependencies first: this layer is cached until install-deps.sh changes.
COPY scripts/install-deps.sh /src/scripts/install-deps.sh
RUN /src/scripts/install-deps.sh build && rm -rf /var/lib/apt/lists/*
COPY . /src
RUN cmake -S /src -B /build -DCMAKE_BUILD_TYPE=Release -DPORT_EXPORTER_BUILD_TESTS=OFF \
      -DPORT_EXPORTER_BUILD_BENCH=OFF \
 && cmake --build /build --target port_exporter -j "$(nproc)" \
 && strip /build/port_exporter \
 && /build/port_exporter --version

FROM ${BASE_IMAGE}
ENV DEBIAN_FRONTEND=noninteractive
# The runtime libraries of `ldd port_exporter`, nothing else (no shell tools added).
RUN apt-get update -qq \
 && apt-get install -y -qq --no-install-recommends \
      libprometheus-cpp-core1.0 libprometheus-cpp-pull1.0 libcivetweb1 libyaml-cpp0.7 \
      >/dev/null \
 && apt-get clean && rm -rf /var/lib/apt/lists/* /var/log/apt /var/log/dpkg.log
COPY --from=build /build/port_exporter /usr/local/bin/port_exporter
COPY config/port_exporter.yml /etc/port_exporter/port_exporter.yml
# Fail the build, not the first start, when a shared library is missing or the baked-in
# config is invalid.
RUN ! ldd /usr/local/bin/port_exporter | grep 'not found' \
 && /usr/local/bin/port_exporter --check-config \
      --config.file=/etc/port_exporter/port_exporter.yml

# OCI labels; version and revision come from scripts/build-image.sh (project VERSION in
# CMakeLists.txt, git HEAD), "unknown" for a plain `docker build .`.
ARG VERSION=unknown
ARG REVISION=unknown
LABEL org.opencontainers.image.title="port_exporter" \
      org.opencontainers.image.description="Prometheus exporter: listeners and connections per watched port (2908 and others)" \
      org.opencontainers.image.source="https://github.com/port-exporter/port_exporter" \
      org.opencontainers.image.url="https://github.com/port-exporter/port_exporter" \
      org.opencontainers.image.documentation="https://github.com/port-exporter/port_exporter/blob/main/docs/deploy.md" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}"
COPY LICENSE NOTICE /usr/share/doc/port_exporter/
# nobody: counts need no privilege (netlink sock_diag). Owner lookup (pid/process labels
# of other users' listeners) needs CAP_SYS_PTRACE + CAP_DAC_READ_SEARCH: docs/deploy.md.
USER 65534:65534
EXPOSE 12908
ENTRYPOINT ["/usr/local/bin/port_exporter", "--config.file=/etc/port_exporter/port_exporter.yml"]
