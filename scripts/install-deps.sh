#!/usr/bin/env bash
# Installs the Debian packages port_exporter needs, only those missing. Shared by
# `make run`, `make test`, `make bench`, .ci/run and the Dockerfile's build stage.
# Usage: scripts/install-deps.sh [build|test|bench|image]   (default: test)
set -euo pipefail

profile=${1:-test}
build=(g++ make cmake pkg-config prometheus-cpp-dev libcivetweb-dev libyaml-cpp-dev
       googletest libgtest-dev libgmock-dev libseccomp-dev git ca-certificates)
test=("${build[@]}" iproute2 prometheus procps curl clang-tidy clang-format python3)
bench=("${test[@]}" libbenchmark-dev wrk gnuplot-nox)
image=("${test[@]}" podman runc debootstrap uidmap slirp4netns fuse-overlayfs python3)

case "$profile" in
  build) wanted=("${build[@]}") ;;
  test) wanted=("${test[@]}") ;;
  bench) wanted=("${bench[@]}") ;;
  image) wanted=("${image[@]}") ;;
  *) echo "usage: $0 [build|test|bench|image]" >&2; exit 2 ;;
esac

missing=()
for pkg in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" ||
    missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install-deps: installing ${missing[*]}" >&2
sudo=""
[ "$(id -u)" -eq 0 ] || sudo=sudo
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
