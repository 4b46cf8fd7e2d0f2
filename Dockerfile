# SPDX-License-Identifier: Apache-2.0
# port_exporter container image. Two stages from the same Debian 12 base: the build stage
# compiles with the build packages of scripts/install-deps.sh (no test tools) and civetweb
# built from Debian's source package (scripts/build-civetweb.sh: IPv6, OpenSSL 3, linked
# statically), plus the eBPF probe (clang, libbpf); the runtime stage holds the binary, the
# packages of its shared libraries and the default config, and runs as nobody.
# Build: `docker build .` or `podman build .` (public debian:bookworm-slim base), or
# scripts/build-image.sh (CI, offline: a debootstrap base made locally, passed as
# --build-arg BASE_IMAGE=localhost/debian-bookworm-minbase:latest, plus VERSION/REVISION
# for the OCI labels). Run: see docs/deploy.md.
ARG BASE_IMAGE=docker.io/library/debian:bookworm-slim

FROM ${BASE_IMAGE} AS build
ENV DEBIAN_FRONTEND=noninteractive
# civetweb's build goes to /opt/cache/port_exporter/civetweb-<version>-<flags hash>.
ENV XDG_CACHE_HOME=/opt/cache
# Dependencies first: this layer is cached until the two scripts change.
COPY scripts/install-deps.sh scripts/build-civetweb.sh scripts/civetweb-edge.patch /src/scripts/
RUN /src/scripts/install-deps.sh build && rm -rf /var/lib/apt/lists/*
COPY . /src
# A unity build, as `make run` does: half the compile time (docs/contributing.md).
RUN cmake -S /src -B /build -DCMAKE_BUILD_TYPE=Release -DPORT_EXPORTER_BUILD_TESTS=OFF \
      -DPORT_EXPORTER_BUILD_BENCH=OFF -DCMAKE_UNITY_BUILD=ON \
      -DPORT_EXPORTER_CIVETWEB_PREFIX="$(ls -d /opt/cache/port_exporter/civetweb-*)" \
 && cmake --build /build --target port_exporter -j "$(nproc)" \
 && strip /build/port_exporter \
 && /build/port_exporter --version

FROM ${BASE_IMAGE}
ENV DEBIAN_FRONTEND=noninteractive
# The runtime libraries of `ldd port_exporter`, nothing else (no shell tools added):
# prometheus-cpp-core, yaml-cpp, OpenSSL 3 (TLS, SHA-256), libcrypt (bcrypt), zlib (gzip),
# libseccomp (the serving process's system call filter).
RUN apt-get update -qq \
 && apt-get install -y -qq --no-install-recommends \
      libprometheus-cpp-core1.0 libyaml-cpp0.7 libssl3 libcrypt1 zlib1g libseccomp2 libbpf1 \
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
