# SPDX-License-Identifier: Apache-2.0
# podman as this project runs it everywhere (sourced by tests/lib.sh and
# scripts/build-image.sh), with flags rather than /etc/containers edits, so nothing is left
# behind: runc (crun is not installed with --no-install-recommends); cgroupfs and file
# events when systemd is not PID 1; the vfs storage driver when podman's storage would sit
# on overlayfs (podman inside a container, as in the README's clean-container check: the
# overlay driver cannot stack on it without fuse-overlayfs and /dev/fuse).
podman_cmd() {
  local flags=(--runtime runc) store=/var/lib/containers/storage
  [ -d /run/systemd/system ] || flags+=(--cgroup-manager cgroupfs --events-backend file)
  mkdir -p "$store" 2>/dev/null || true
  [ "$(stat -f -c %T "$store" 2>/dev/null)" != overlayfs ] || flags+=(--storage-driver vfs)
  podman "${flags[@]}" "$@"
}
