#!/usr/bin/env bash
# Installs the Debian packages port_exporter needs, only those missing. Shared by
# `make run`, `make test`, `make bench`, .ci/run and the Dockerfile's build stage.
# Usage: scripts/install-deps.sh [build|test|bench|image|fuzz]   (default: test)
set -euo pipefail

profile=${1:-test}
# dpkg-dev: `apt-get source civetweb` (scripts/build-civetweb.sh builds it with IPv6 and the
# OpenSSL 3 API); libssl-dev, zlib1g-dev (gzip), libcrypt-dev (bcrypt) are linked in.
# clang, libbpf-dev, libelf-dev, bpftool: the optional eBPF probe (compiled at build time).
build=(g++ make cmake pkg-config prometheus-cpp-dev libyaml-cpp-dev libssl-dev zlib1g-dev
       libcrypt-dev dpkg-dev clang libbpf-dev libelf-dev bpftool googletest libgtest-dev
       libgmock-dev libseccomp-dev git ca-certificates)
# openssl: test certificates; apache2-utils: htpasswd makes the bcrypt hashes; python3:
# namespace, probe and e2e test helpers.
test=("${build[@]}" iproute2 prometheus procps curl openssl apache2-utils clang-tidy
      clang-format time python3)
bench=("${test[@]}" libbenchmark-dev wrk gnuplot-nox)
fuzz=("${test[@]}" clang libclang-rt-14-dev)  # libFuzzer and clang's sanitizer runtimes
image=("${test[@]}" podman runc debootstrap uidmap slirp4netns fuse-overlayfs python3)

case "$profile" in
  build) wanted=("${build[@]}") ;;
  test) wanted=("${test[@]}") ;;
  bench) wanted=("${bench[@]}") ;;
  image) wanted=("${image[@]}") ;;
  fuzz) wanted=("${fuzz[@]}") ;;
  *) echo "usage: $0 [build|test|bench|image|fuzz]" >&2; exit 2 ;;
esac

missing=()
for pkg in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" ||
    missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}" >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Built once from Debian's source package, then reused from the cache (image: none needed).
[ "$profile" = image ] || "$(dirname "$0")/build-civetweb.sh" >/dev/null
