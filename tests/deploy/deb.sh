#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The Debian package, end to end (slow: a Release build and a container; run by
# `make image-test` after tests/deploy/image.sh, which makes the base image).
# 1. `make deb`; the .deb holds the binary, the conffile, the unit, the man page, and
#    depends on the shared libraries (dpkg-shlibdeps).
# 2. In a clean Debian 12 container (the debootstrap base of scripts/build-image.sh):
#    `apt-get install ./port-exporter_*.deb`, --version, --check-config of the shipped
#    config, `systemd-analyze verify` of the installed unit, the unit enabled for the next
#    boot; `apt-get remove` keeps /etc/port_exporter/port_exporter.yml, `purge` removes it.
set -euo pipefail

repo_root=$(cd "$(dirname "$0")/../.." && pwd)
[ "$(id -u)" -eq 0 ] || { echo "deb.sh: needs root (podman)" >&2; exit 1; }
base_image=${BASE_IMAGE:-localhost/debian-bookworm-minbase:latest}
version=$(sed -n 's/^project(port_exporter VERSION \([0-9.]*\).*/\1/p' "$repo_root/CMakeLists.txt")
podman_cmd() {
  local flags=(--runtime runc)
  [ -d /run/systemd/system ] || flags+=(--cgroup-manager cgroupfs --events-backend file)
  podman "${flags[@]}" "$@"
}
podman_cmd image exists "$base_image" ||
  { echo "deb.sh: no $base_image: run scripts/build-image.sh (make image-test) first" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

echo "=== make deb"
started=$SECONDS
make -C "$repo_root" deb JOBS="${JOBS:-2}" >"$work/make.log" 2>&1 || { tail -n 40 "$work/make.log"; fail "make deb"; }
deb=$repo_root/build-deb/port-exporter_${version}_$(dpkg --print-architecture).deb
[ -f "$deb" ] || fail "$deb was not built"
echo "built $(basename "$deb") in $((SECONDS - started))s, $(stat -c %s "$deb") bytes"

dpkg-deb -c "$deb" | awk '{print $6}' >"$work/contents.txt"
for path in ./usr/bin/port_exporter ./etc/port_exporter/port_exporter.yml \
  ./lib/systemd/system/port_exporter.service ./usr/share/man/man1/port_exporter.1.gz \
  ./usr/share/doc/port-exporter/LICENSE \
  ./usr/share/port-exporter/systemd/closed-attempts.conf \
  ./usr/share/port-exporter/systemd/netns-netlink.conf; do
  grep -qxF "$path" "$work/contents.txt" || fail "$path not in the package"
done
echo "ok   binary, config, unit, probe and netns drop-ins, man page, LICENSE in the package"
dpkg-deb -I "$deb" conffiles >"$work/conffiles"
grep -qxF /etc/port_exporter/port_exporter.yml "$work/conffiles" || fail "config is not a conffile"
depends=$(dpkg-deb -f "$deb" Depends)
# civetweb is linked statically (scripts/build-civetweb.sh): no libcivetweb1, no pull library.
for lib in libprometheus-cpp-core1.0 libyaml-cpp0.7 libssl3 libcrypt1 zlib1g libseccomp2 libbpf1 \
  procps; do
  grep -q "$lib" <<<"$depends" || fail "Depends lacks $lib: $depends"
done
for lib in libcivetweb1 libprometheus-cpp-pull1.0; do
  ! grep -q "$lib" <<<"$depends" || fail "Depends has $lib (civetweb is linked statically): $depends"
done
echo "ok   conffile; Depends: $depends"
dpkg-deb --fsys-tarfile "$deb" | tar -xO ./usr/share/man/man1/port_exporter.1.gz | gzip -d \
  >"$work/port_exporter.1"
# roff without its font and dash escapes: what `man` shows.
sed -e 's/\\f[BIRP]//g' -e 's/\\[,\/]//g' -e 's/\\-/-/g' "$work/port_exporter.1" >"$work/man.txt"
for flag in --config.file=PATH --web.listen-address --check-config --once --version; do
  grep -qF -- "$flag" "$work/man.txt" || fail "the man page does not document $flag"
done
grep -qx 'usage: port_exporter \[flags\]' "$work/man.txt" || fail "the man page's usage line: $(grep usage "$work/man.txt")"
echo "ok   man page: usage line and the flags"

echo "=== install, verify, remove, purge in a clean Debian 12 container"
cp "$deb" "$work/"
podman_cmd run --rm --network=host --ulimit nofile=4096:4096 --ulimit nproc=4096:4096 \
  -v "$work:/pkg:ro" "$base_image" bash -euo pipefail -c '
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # systemd first: systemd-analyze, and deb-systemd-helper for the postinst to enable.
    apt-get install -y -qq --no-install-recommends systemd >/dev/null
    cd /pkg && apt-get install -y -qq ./port-exporter_*.deb >/dev/null
    version_text=$(port_exporter --version)
    echo "$version_text"
    grep -q "^port_exporter, version '"$version"' (branch: " <<<"$version_text"
    port_exporter --check-config --config.file=/etc/port_exporter/port_exporter.yml
    systemd-analyze verify /lib/systemd/system/port_exporter.service >/tmp/verify.txt 2>&1 || true
    if [ -s /tmp/verify.txt ]; then cat /tmp/verify.txt; echo "FAIL: systemd-analyze verify"; exit 1; fi
    echo "ok   systemd-analyze verify /lib/systemd/system/port_exporter.service"
    grep -qx "ExecStart=/usr/bin/port_exporter \\\\" /lib/systemd/system/port_exporter.service
    grep -qx "DynamicUser=yes" /lib/systemd/system/port_exporter.service
    grep -qx "AmbientCapabilities=CAP_SYS_PTRACE CAP_DAC_READ_SEARCH" /lib/systemd/system/port_exporter.service
    grep -qx "SystemCallFilter=capset seccomp" /lib/systemd/system/port_exporter.service
    # The drop-ins, installed as docs/deploy.md says, still verify.
    mkdir -p /etc/systemd/system/port_exporter.service.d
    cp /usr/share/port-exporter/systemd/closed-attempts.conf \
      /usr/share/port-exporter/systemd/netns-netlink.conf \
      /etc/systemd/system/port_exporter.service.d/
    systemd-analyze verify port_exporter.service >/tmp/verify.txt 2>&1 || true
    if [ -s /tmp/verify.txt ]; then cat /tmp/verify.txt; echo "FAIL: verify with the drop-ins"; exit 1; fi
    rm -r /etc/systemd/system/port_exporter.service.d
    echo "ok   systemd-analyze verify with the probe and netns drop-ins"
    test -L /etc/systemd/system/multi-user.target.wants/port_exporter.service
    echo "ok   installed: ExecStart /usr/bin, DynamicUser, two capabilities, enabled for boot"
    echo "# edited by the admin" >>/etc/port_exporter/port_exporter.yml
    apt-get remove -y -qq port-exporter >/dev/null
    test ! -e /usr/bin/port_exporter
    grep -q "edited by the admin" /etc/port_exporter/port_exporter.yml
    echo "ok   remove: binary gone, the edited config kept"
    apt-get purge -y -qq port-exporter >/dev/null
    test ! -e /etc/port_exporter
    test ! -e /etc/systemd/system/multi-user.target.wants/port_exporter.service
    echo "ok   purge: /etc/port_exporter and the enablement gone"
  ' || fail "the package in a clean container"
echo "deb: all checks passed"
