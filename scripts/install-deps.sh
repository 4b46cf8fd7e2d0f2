#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs the Debian packages port_exporter needs, only those missing. Shared by
# `make run` (build), `make test` (test), `make bench`, `make fuzz`, `make image-test`,
# `make deb`, .ci/run and the Dockerfile's build stage (build).
# Usage: scripts/install-deps.sh [build|test|bench|image|fuzz|deb]   (default: test)
# Installing never leaves a service running or enabled: Debian's prometheus package would
# start one on :9090 (and podman enables its API socket).
set -euo pipefail

profile=${1:-test}
# dpkg-dev: `apt-get source civetweb` (scripts/build-civetweb.sh builds it with IPv6 and the
# OpenSSL 3 API); libssl-dev, zlib1g-dev (gzip), libcrypt-dev (bcrypt) are linked in.
# clang, libbpf-dev, libelf-dev: the optional eBPF probe (compiled at build time, embedded:
# no bpftool). git: the revision --version prints. Nothing else: `make run` and the image's
# build stage install this list.
build=(g++ make cmake pkg-config prometheus-cpp-dev libyaml-cpp-dev libssl-dev zlib1g-dev
       libcrypt-dev dpkg-dev clang libbpf-dev libelf-dev libseccomp-dev git)
# googletest: the unit and integration tests; openssl: test certificates; apache2-utils:
# htpasswd makes the bcrypt hashes; python3: namespace, probe and e2e test helpers;
# systemd: systemd-analyze verify of the unit; podman, runc, debootstrap: the container
# identity test (a real container, its base image made with debootstrap); ca-certificates:
# npm's registry (https). bpftool: the probe benchmark reads the program's run time.
test=("${build[@]}" googletest libgtest-dev libgmock-dev iproute2 prometheus procps curl
      openssl apache2-utils clang-tidy clang-format time python3 systemd podman runc
      debootstrap ca-certificates)
bench=("${test[@]}" libbenchmark-dev wrk gnuplot-nox bpftool)
fuzz=("${test[@]}" clang libclang-rt-14-dev)  # libFuzzer and clang's sanitizer runtimes
image=("${test[@]}" podman runc debootstrap uidmap slirp4netns fuse-overlayfs python3
       dpkg-dev file help2man)
deb=("${build[@]}" dpkg-dev file help2man)
# Tools the tests need as commands, whatever provides them (nodesource's nodejs bundles
# npm and conflicts with Debian's; a kubectl from upstream is as good as Debian's 1.20).
test_tools=(node:nodejs npm:npm kubectl:kubernetes-client)

tools=()
case "$profile" in
  build) wanted=("${build[@]}") ;;
  test) wanted=("${test[@]}") tools=("${test_tools[@]}") ;;
  bench) wanted=("${bench[@]}") tools=("${test_tools[@]}") ;;
  fuzz) wanted=("${fuzz[@]}") tools=("${test_tools[@]}") ;;
  image) wanted=("${image[@]}") tools=("${test_tools[@]}") ;;
  deb) wanted=("${deb[@]}") ;;
  *) echo "usage: $0 [build|test|bench|image|fuzz|deb]" >&2; exit 2 ;;
esac

missing=()
for pkg in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" ||
    missing+=("$pkg")
done
for tool in "${tools[@]}"; do
  command -v "${tool%%:*}" >/dev/null || missing+=("${tool#*:}")
done

sudo=""
[ "$(id -u)" -eq 0 ] || sudo=sudo

# install PACKAGE...: apt-get install with no service started or left enabled.
install() {
  echo "install-deps: installing $*" >&2
  export DEBIAN_FRONTEND=noninteractive
  # policy-rc.d exit 101 = "action forbidden": invoke-rc.d and deb-systemd-invoke start
  # nothing while we install (Docker images ship the same file; an existing one is kept).
  local policy=/usr/sbin/policy-rc.d
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\n# scripts/install-deps.sh: no service starts during the install\nexit 101\n' |
      $sudo tee "$policy" >/dev/null
    $sudo chmod 0755 "$policy"
    # shellcheck disable=SC2064  # expanded now: $policy is local to this function
    trap "$sudo rm -f $policy" EXIT
  fi
  $sudo apt-get -o DPkg::Lock::Timeout=600 update -qq
  $sudo apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "$@" >/dev/null

  # The packages above that ship a daemon also enable it for the next boot: disable the
  # units of the ones installed now (a service the user had before is left alone).
  local pkg units now
  for pkg in prometheus podman; do
    case " $* " in *" $pkg "*) ;; *) continue ;; esac
    mapfile -t units < <(dpkg-query -L "$pkg" |
      sed -n 's#^/lib/systemd/system/\([^/@]*\.\(service\|socket\|timer\)\)$#\1#p')
    [ ${#units[@]} -gt 0 ] && command -v systemctl >/dev/null || continue
    now=()
    [ -d /run/systemd/system ] && now=(--now)
    $sudo systemctl disable "${now[@]}" --quiet "${units[@]}" 2>/dev/null || true
  done
}
[ ${#missing[@]} -eq 0 ] || install "${missing[@]}"

# Built once from Debian's source package, then reused from the cache (image: none needed).
[ "$profile" = image ] || "$(dirname "$0")/build-civetweb.sh" >/dev/null
