#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Container and pod identity on a real container (issue 15): a podman container with its own
# network namespace (--network=none) listens on a watched port; `port_exporter --once` with
# `namespaces: all` reports that listener with netns="netns:<inode of the container's
# namespace>", container_id equal to `podman inspect`'s Id, the process and executable inside
# the container, and, through a kubelet-style log tree under --path.podlogs, the Kubernetes
# namespace, pod and container names. Without that tree the k8s_* labels are empty.
# Needs root, podman and runc; the base image is made once with debootstrap
# (scripts/build-image.sh --base-only) and reused.
set -euo pipefail

repo_root=${REPO_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
exporter=${PORT_EXPORTER:?PORT_EXPORTER must name the built port_exporter binary}
# shellcheck source=../lib.sh
. "$repo_root/tests/lib.sh"

[ "$(id -u)" -eq 0 ] || { echo "FAIL: needs root (podman, setns)" >&2; exit 1; }
for tool in podman runc debootstrap stat; do
  command -v "$tool" >/dev/null || { echo "FAIL: $tool missing: scripts/install-deps.sh test" >&2; exit 1; }
done

base_image=${BASE_IMAGE:-localhost/debian-bookworm-minbase:latest}
container="pe-identity-test-$$"
tmp=$(mktemp -d /tmp/port_exporter-identity.XXXXXX)
cleanup() {
  podman_cmd rm -f -t 0 "$container" >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  echo "--- exporter output" >&2
  grep -E '^port_listener_info|level=' "$tmp/out" >&2 || true
  exit 1
}

BASE_IMAGE=$base_image "$repo_root/scripts/build-image.sh" --base-only

# The port: 2908 as the issue says, inside the container's own namespace (nothing else can
# be there); perl is in every Debian base (perl-base is essential).
port=2908
podman_cmd run -d --name "$container" --network=none \
  --ulimit nofile=4096:4096 --ulimit nproc=4096:4096 "$base_image" \
  perl -MIO::Socket::INET -e '
    my $s = IO::Socket::INET->new(LocalAddr => "0.0.0.0", LocalPort => '"$port"',
                                  Listen => 5, ReuseAddr => 1) or die "listen: $!";
    sleep 600' >/dev/null
id=$(podman_cmd inspect --format '{{.Id}}' "$container")
pid=$(podman_cmd inspect --format '{{.State.Pid}}' "$container")
[ -n "$pid" ] && [ "$pid" != 0 ] || fail "container $container has no process"
inode=$(stat -L -c %i "/proc/$pid/ns/net")
[ "$inode" != "$(stat -L -c %i /proc/self/ns/net)" ] || fail "the container shares our namespace"
wait_for 20 "the listener inside the container" \
  sh -c "nsenter -t $pid -n ss -Htln 'sport = :$port' | grep -q ." || fail "no listener in the container"
echo "container $id, pid $pid, netns:$inode"
echo "its cgroup: $(tr '\n' ' ' <"/proc/$pid/cgroup")"

cat >"$tmp/config.yml" <<YAML
interval: 1s
namespaces: all
ports:
  - port: $port
    protocols: [tcp]
YAML

# What the kubelet writes: containers/<pod>_<namespace>_<container>-<id>.log (a symlink into
# pods/) and pods/<namespace>_<pod>_<uid>/<container>/0.log.
uid=1d3f5a7b-2c4e-4f60-8a1b-3c5d7e9f0a2b
mkdir -p "$tmp/log/containers" "$tmp/log/pods/shop_web-0_$uid/listener" "$tmp/empty"
touch "$tmp/log/pods/shop_web-0_$uid/listener/0.log"
ln -s "../pods/shop_web-0_$uid/listener/0.log" "$tmp/log/containers/web-0_shop_listener-$id.log"

expect_info() {  # expect_info PODLOGS NAMESPACE POD CONTAINER
  "$exporter" --config.file="$tmp/config.yml" --path.podlogs="$1" --once >"$tmp/out" 2>&1 ||
    fail "--once exited with $?"
  local want="port_listener_info{port=\"$port\",protocol=\"tcp\",family=\"ipv4\",address=\"0.0.0.0\",uid=\"0\",pid=\"$pid\",process=\"perl\",exe=\"/usr/bin/perl\",netns=\"netns:$inode\",container_id=\"$id\",k8s_namespace_name=\"$2\",k8s_pod_name=\"$3\",k8s_container_name=\"$4\"} 1"
  grep -qxF "$want" "$tmp/out" || fail "missing: $want"
  [ "$(grep -c "container_id=\"$id\"" "$tmp/out")" = 1 ] || fail "the container's listener is not reported exactly once"
  echo "ok   $want"
}
expect_info "$tmp/log" shop web-0 listener
expect_info "$tmp/empty" "" "" ""
echo "container identity: all checks passed"
