#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds the port_exporter container image with podman, offline apart from Debian's
# mirrors: the bookworm base image is made here with debootstrap (no registry needed).
# Usage: scripts/build-image.sh [IMAGE]      (default: localhost/port_exporter:<version>)
#        scripts/build-image.sh --base-only  (only the base image, if missing: test containers)
# Env: BASE_IMAGE (default localhost/debian-bookworm-minbase:latest), REBUILD_BASE=1 to
# remake the base image. Needs root and `scripts/install-deps.sh image`.
set -euo pipefail

repo_root=$(cd "$(dirname "$0")/.." && pwd)
version=$(sed -n 's/^project(port_exporter VERSION \([0-9.]*\).*/\1/p' "$repo_root/CMakeLists.txt")
image=${1:-localhost/port_exporter:${version:-dev}}
base_image=${BASE_IMAGE:-localhost/debian-bookworm-minbase:latest}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}

# shellcheck source=podman.sh
. "$repo_root/scripts/podman.sh"

make_base_image() {
  local rootfs
  rootfs=$(mktemp -d /var/tmp/port_exporter-rootfs.XXXXXX)
  # shellcheck disable=SC2064  # expand now: rootfs is local
  trap "rm -rf '$rootfs'" RETURN
  echo "build-image: debootstrap --variant=minbase bookworm -> $base_image" >&2
  debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$rootfs.log" 2>&1 || {
    tail -n 30 "$rootfs.log" >&2
    rm -f "$rootfs.log"
    return 1
  }
  rm -f "$rootfs.log"
  # Security and point-release updates for both stages; apt lists and .debs are not kept.
  cat >"$rootfs/etc/apt/sources.list" <<EOF
deb $mirror bookworm main
deb $mirror bookworm-updates main
deb http://deb.debian.org/debian-security bookworm-security main
EOF
  # Slim, like Debian's -slim images: no docs (copyright files stay), man pages or
  # translations, now or in packages installed later. 127 MB -> ~80 MB.
  cat >"$rootfs/etc/dpkg/dpkg.cfg.d/01-slim" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/locale/*
EOF
  find "$rootfs/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
  find "$rootfs/usr/share/doc" -mindepth 1 -type d -empty -delete
  rm -rf "$rootfs"/usr/share/man/* "$rootfs"/usr/share/groff/* "$rootfs"/usr/share/info/* \
    "$rootfs"/usr/share/lintian/* "$rootfs"/usr/share/locale/*
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/cache/apt/*.bin \
    "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/log/* "$rootfs"/tmp/*
  tar --numeric-owner --xattrs -C "$rootfs" -c . |
    podman_cmd import --quiet --change 'CMD ["/bin/bash"]' \
      --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
      - "$base_image" >/dev/null
}

if [ "${REBUILD_BASE:-0}" = 1 ] || ! podman_cmd image exists "$base_image"; then
  make_base_image
fi
[ "$image" != --base-only ] || exit 0

echo "build-image: podman build -> $image" >&2
revision=$(git -C "$repo_root" rev-parse HEAD 2>/dev/null || echo unknown)
podman_cmd build --network=host --pull=never \
  --build-arg "BASE_IMAGE=$base_image" \
  --build-arg "VERSION=${version:-unknown}" --build-arg "REVISION=$revision" \
  -t "$image" -f "$repo_root/Dockerfile" "$repo_root"
podman_cmd tag "$image" localhost/port_exporter:latest
