#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The container image, end to end (slow: builds the image; not part of `make test`).
# Run: make image-test  (= scripts/install-deps.sh image && bash tests/deploy/image.sh)
#
# 1. scripts/build-image.sh: debootstrap base image (once), podman build of the Dockerfile.
# 2. A TCP listener on the host, owned by another user (uid 1000), on a free watched port.
# 3. The image run as docs/deploy.md says (host network and PID namespace, host /proc
#    read-only, uid 0 with only SYS_PTRACE + DAC_READ_SEARCH, no-new-privileges, read-only
#    root filesystem): /metrics counts the listener and names its process and pid.
# 4. The image run with no capability at all (its default user, nobody): the count is
#    still right, the owner is "unknown" — the capability table of docs/deploy.md.
# 5. SIGTERM (podman stop) ends it without SIGKILL. Prints the image size.
# Needs root (podman with runc, host network); no docker daemon, no registry.
set -euo pipefail

repo_root=$(cd "$(dirname "$0")/../.." && pwd)
[ "$(id -u)" -eq 0 ] || { echo "image.sh: needs root (podman, host network)" >&2; exit 1; }
for tool in podman runc debootstrap curl ss setpriv python3; do
  command -v "$tool" >/dev/null ||
    { echo "image.sh: $tool missing: run scripts/install-deps.sh image" >&2; exit 1; }
done

version=$(sed -n 's/^project(port_exporter VERSION \([0-9.]*\).*/\1/p' "$repo_root/CMakeLists.txt")
image=localhost/port_exporter:${version}
container=port-exporter-image-test-$$
work=$(mktemp -d)
listener_pid=""

run_flags=(--ulimit nofile=4096:4096 --ulimit nproc=4096:4096)

cleanup() {
  podman_cmd rm -f -t 0 "$container" >/dev/null 2>&1 || true
  [ -z "$listener_pid" ] || { kill "$listener_pid" 2>/dev/null; wait "$listener_pid" 2>/dev/null; } || true
  rm -rf "$work"
}
trap cleanup EXIT

# shellcheck source=../lib.sh
source "$(dirname "$0")/../lib.sh"
fail() {
  echo "FAIL: $*"
  echo "--- container log"
  podman_cmd logs "$container" 2>&1 | tail -n 30 || true
  exit 1
}

echo "=== build"
started=$SECONDS
"$repo_root/scripts/build-image.sh" "$image"
size=$(podman_cmd image inspect --format '{{.Size}}' "$image")
echo "built $image in $((SECONDS - started))s"
labels=$(podman_cmd image inspect --format \
  '{{index .Labels "org.opencontainers.image.version"}} {{index .Labels "org.opencontainers.image.revision"}} {{index .Labels "org.opencontainers.image.licenses"}} {{index .Labels "org.opencontainers.image.source"}}' \
  "$image")
want_labels="$version $(git -C "$repo_root" rev-parse HEAD) Apache-2.0 https://github.com/port-exporter/port_exporter"
[ "$labels" = "$want_labels" ] || fail "OCI labels: got '$labels', want '$want_labels'"
echo "ok   OCI labels version, revision, licenses, source: $labels"

web_port=$(free_port)
watched_port=$(free_port "$web_port")
cat >"$work/port_exporter.yml" <<EOF
interval: 1s
namespaces: host
ports:
  - port: $watched_port
    protocols: [tcp]
    expect: absent
    description: "image.sh: a listener the test opens on the host"
EOF
chmod 0644 "$work/port_exporter.yml"
chmod 0755 "$work"

echo "=== host listener on 127.0.0.1:$watched_port (uid 1000)"
# exec: the pid we record is the listening process itself.
setpriv --reuid=1000 --regid=1000 --clear-groups -- /usr/bin/env python3 -c '
import socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen()
time.sleep(600)
' "$watched_port" &
listener_pid=$!
wait_for 10 "the host listener" sh -c "ss -Htln 'sport = :$watched_port' | grep -q ."

echo "=== run with the documented flags"
podman_cmd run -d --name "$container" "${run_flags[@]}" \
  --network=host --pid=host --read-only \
  --user 0:65534 --cap-drop=ALL --cap-add=SYS_PTRACE --cap-add=DAC_READ_SEARCH \
  --cap-add=SETUID --cap-add=SETGID \
  --security-opt=no-new-privileges \
  -v /proc:/host/proc:ro \
  -v "$work/port_exporter.yml:/etc/port_exporter/port_exporter.yml:ro" \
  "$image" --web.listen-address="127.0.0.1:$web_port" --path.procfs=/host/proc >/dev/null
url=http://127.0.0.1:$web_port
wait_for 20 "/-/ready" curl -fsS "$url/-/ready" || fail "not ready"
curl -fsS "$url/-/healthy" >/dev/null || fail "/-/healthy"

want_count="port_listeners{port=\"$watched_port\",protocol=\"tcp\",family=\"ipv4\"} 1"
wait_for 10 "$want_count" sh -c "curl -fsS '$url/metrics' | grep -qxF '$want_count'" ||
  fail "/metrics never showed: $want_count"
echo "ok   $want_count"
metrics=$(curl -fsS "$url/metrics")
info=$(grep "^port_listener_info{port=\"$watched_port\"" <<<"$metrics" || true)
echo "     $info"
if ! grep -q "pid=\"$listener_pid\"" <<<"$info" || ! grep -q 'process="python3"' <<<"$info" ||
   ! grep -q 'uid="1000"' <<<"$info"; then
  fail "owner lookup: expected pid=\"$listener_pid\" process=\"python3\" uid=\"1000\""
fi
echo "ok   owner of another user's listener found with SYS_PTRACE + DAC_READ_SEARCH"
grep -qx "port_unexpected_listeners{port=\"$watched_port\",protocol=\"tcp\"} 1" <<<"$metrics" ||
  fail "port_unexpected_listeners is not 1"
echo "ok   port_unexpected_listeners 1"
server_pid=$(ss -Htlnp "sport = :$web_port" | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2)
[ -n "$server_pid" ] || fail "no process listens on the metrics port"
grep -q '^Uid:[[:space:]]*65534' "/proc/$server_pid/status" || fail "the metrics port's process is not uid 65534"
grep -q '^CapEff:[[:space:]]*0000000000000000' "/proc/$server_pid/status" ||
  fail "the metrics port's process holds capabilities"
echo "ok   the metrics port is served by pid $server_pid: uid 65534, no capability"
grep -E '^process_resident_memory_bytes ' <<<"$metrics" || true

echo "=== stop (SIGTERM)"
started=$SECONDS
podman_cmd stop -t 10 "$container" >/dev/null
exit_code=$(podman_cmd inspect --format '{{.State.ExitCode}}' "$container")
echo "stopped in $((SECONDS - started))s, exit code $exit_code"
[ "$exit_code" != 137 ] || fail "needed SIGKILL: SIGTERM was not handled"
podman_cmd rm -f "$container" >/dev/null

echo "=== run without capabilities, as the image's default user"
out=$(podman_cmd run --rm "${run_flags[@]}" --network=host --pid=host --read-only \
  --cap-drop=ALL --security-opt=no-new-privileges \
  -v "$work/port_exporter.yml:/etc/port_exporter/port_exporter.yml:ro" "$image" --once)
grep -qxF "$want_count" <<<"$out" || fail "without capabilities: $want_count missing"
info=$(grep "^port_listener_info{port=\"$watched_port\"" <<<"$out" || true)
echo "     $info"
grep -q 'process="unknown"' <<<"$info" || fail "without capabilities the owner should be unknown"
echo "ok   without capabilities: count right, owner unknown"

echo "image size: $size bytes ($(( (size + 524288) / 1048576 )) MiB), $image"
echo "image: all checks passed"
