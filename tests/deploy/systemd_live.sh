#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The shipped systemd unit under a real systemd: PID 1 of a podman container made from the
# port_exporter image (built by tests/deploy/image.sh) plus systemd, with the unit and the
# closed-attempts drop-in installed as docs/deploy.md says. Checks what `systemd-analyze
# verify` cannot: the unit starts; its DynamicUser gets the ambient capabilities and finds the
# owner of another uid's listener; the serving process holds no capability under the unit's
# own seccomp filter (SystemCallFilter allows capset + seccomp back); the drop-in lets the
# eBPF probe load and count datagrams to a closed watched port; `systemctl reload` reloads;
# with `namespaces: all`, a listener in an `ip netns` namespace is counted, in the procfs mode
# under the unit alone (RestrictNamespaces=yes forbids setns) and in the netlink mode with the
# netns-netlink drop-in; `systemctl stop` ends it with status 0 (no SIGKILL). procps is installed as on any
# standard Debian host: ExecReload runs /bin/kill (found missing in the minbase image). Run by `make image-test` after
# image.sh. Needs root and podman (scripts/install-deps.sh image).
#
#   tests/deploy/systemd_live.sh [IMAGE]   (default localhost/port_exporter:<version>)
set -euo pipefail

repo_root=$(cd "$(dirname "$0")/../.." && pwd)
[ "$(id -u)" -eq 0 ] || { echo "systemd_live.sh: needs root (podman --privileged)" >&2; exit 1; }
command -v podman >/dev/null || { echo "systemd_live.sh: podman missing: scripts/install-deps.sh image" >&2; exit 1; }
# shellcheck source=../lib.sh
source "$repo_root/tests/lib.sh"

version=$(sed -n 's/^project(port_exporter VERSION \([0-9.]*\).*/\1/p' "$repo_root/CMakeLists.txt")
image=${1:-localhost/port_exporter:${version}}
test_image=localhost/port_exporter-systemd-test:${version}
container=port-exporter-systemd-test-$$

cleanup() { podman_cmd rm -f -t 0 "$container" >/dev/null 2>&1 || true; }
trap cleanup EXIT
in_container() { podman_cmd exec "$container" "$@"; }
fail() {
  echo "FAIL: $*"
  echo "--- journal of port_exporter"
  in_container journalctl -u port_exporter --no-pager -n 40 2>&1 || true
  exit 1
}

echo "=== build $test_image from $image + systemd"
podman_cmd image exists "$image" || { echo "systemd_live.sh: $image missing: run tests/deploy/image.sh first" >&2; exit 1; }
podman_cmd build --network=host --pull=never -t "$test_image" -f - "$repo_root" <<EOF
FROM $image
USER root
RUN apt-get update -qq \\
 && apt-get install -y -qq --no-install-recommends systemd systemd-sysv procps curl \\
      iproute2 python3-minimal util-linux >/dev/null \\
 && apt-get clean && rm -rf /var/lib/apt/lists/*
COPY deploy/systemd/port_exporter.service /etc/systemd/system/port_exporter.service
COPY deploy/systemd/port_exporter.service.d/closed-attempts.conf /etc/systemd/system/port_exporter.service.d/closed-attempts.conf
COPY deploy/systemd/port_exporter.service.d/netns-netlink.conf /usr/share/port-exporter/systemd/netns-netlink.conf
RUN systemctl enable port_exporter
ENTRYPOINT ["/sbin/init"]
EOF

echo "=== boot systemd"
# No network of its own beyond loopback: every check runs inside the container.
podman_cmd run -d --name "$container" --privileged --systemd=always --network=none \
  --ulimit nofile=20000:20000 --ulimit nproc=4096:4096 "$test_image" >/dev/null
booted() { in_container systemctl is-active --quiet port_exporter; }
wait_for 90 "port_exporter.service active" booted || fail "the unit did not become active"
echo "ok   port_exporter.service active under systemd $(in_container systemctl --version | head -1 | cut -d' ' -f2)"

# Another uid's listener on the watched port 2908 (the shipped config) and 5 datagrams to
# the same port's closed UDP side.
podman_cmd exec -d "$container" setpriv --reuid=1000 --regid=1000 --clear-groups python3 -c \
  'import socket, time; s = socket.socket(); s.bind(("127.0.0.1", 2908)); s.listen(); time.sleep(600)' >/dev/null
for _ in 1 2 3 4 5; do in_container bash -c 'echo knock >/dev/udp/127.0.0.1/2908'; done

scrape() { in_container curl -fsS http://127.0.0.1:12908/metrics; }
counted() {
  local metrics
  metrics=$(scrape) || return 1
  grep -q '^port_listener_info{port="2908".*uid="1000"' <<<"$metrics" &&
    grep -qx 'port_closed_attempts_total{port="2908",protocol="udp",family="ipv4"} 5' <<<"$metrics"
}
wait_for 60 "the listener and 5 closed attempts in /metrics" counted ||
  { scrape | grep -E '^port_(listener_info|closed_attempts_total|exporter_probe)' || true; fail "not counted"; }
metrics=$(scrape)
info=$(grep '^port_listener_info{port="2908"' <<<"$metrics")
echo "     $info"
grep -q 'process="python3"' <<<"$info" || fail "owner lookup under DynamicUser: process is not python3"
echo "ok   owner of uid 1000's listener found (ambient CAP_SYS_PTRACE + CAP_DAC_READ_SEARCH)"
grep -qx 'port_exporter_probe_loaded{probe="closed_attempts"} 1' <<<"$metrics" || fail "probe not loaded with the drop-in"
echo "ok   drop-in: probe loaded, 5 datagrams to the closed udp/2908 counted exactly"

main_pid=$(in_container systemctl show -p MainPID --value port_exporter)
server_pid=$(in_container ss -Htlnp 'sport = :12908' | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2)
[ -n "$server_pid" ] && [ "$server_pid" != "$main_pid" ] || fail "the metrics port is not served by a child (main $main_pid, server ${server_pid:-none})"
status=$(in_container cat "/proc/$server_pid/status")
for want in 'CapEff:[[:space:]]*0000000000000000' 'CapPrm:[[:space:]]*0000000000000000' \
            'NoNewPrivs:[[:space:]]*1' 'Seccomp:[[:space:]]*2'; do
  grep -q "^$want" <<<"$status" || fail "serving process $server_pid: no '$want'"
done
uid=$(awk '/^Uid:/ { print $2 }' <<<"$status")
[ "$uid" != 0 ] || fail "serving process runs as root"
echo "ok   metrics port served by pid $server_pid (child of $main_pid): uid $uid, CapEff 0, NoNewPrivs, seccomp"

before=$(grep '^port_exporter_config_last_reload_success_timestamp_seconds ' <<<"$metrics" | cut -d' ' -f2)
sleep 1.1  # the timestamp has one-second resolution
in_container systemctl reload port_exporter || fail "systemctl reload"
reloaded() {
  local m
  m=$(scrape) || return 1
  grep -qx 'port_exporter_config_last_reload_successful 1' <<<"$m" &&
    [ "$(grep '^port_exporter_config_last_reload_success_timestamp_seconds ' <<<"$m" | cut -d' ' -f2)" != "$before" ]
}
wait_for 20 "a successful reload" reloaded || fail "systemctl reload did not reload"
echo "ok   systemctl reload: config reloaded"

# namespaces: all, and root's listener on 2908 inside the ip netns namespace "t".
in_container sed -i 's/^namespaces: host$/namespaces: all/' /etc/port_exporter/port_exporter.yml
in_container grep -qx 'namespaces: all' /etc/port_exporter/port_exporter.yml || fail "config: namespaces: all not set"
in_container ip netns add t || fail "ip netns add t"
podman_cmd exec -d "$container" ip netns exec t python3 -c \
  'import socket, time; s = socket.socket(); s.bind(("0.0.0.0", 2908)); s.listen(); time.sleep(600)' >/dev/null
# MODE: the namespace t is swept in that mode, its listener has an owner and both 2908
# listeners are counted.
swept_in() {
  local m
  m=$(scrape) || return 1
  grep -qE "^port_exporter_namespaces\{mode=\"$1\"\} [1-9]" <<<"$m" &&
    grep -q '^port_listener_info{port="2908",protocol="tcp".*process="python3".*netns="t"' <<<"$m" &&
    grep -qx 'port_listeners{port="2908",protocol="tcp",family="ipv4"} 2' <<<"$m"
}
# A restart, not a reload: the unit's mount namespace (PrivateMounts=yes) is a copy made at
# start, and in a container /run is a private mount (systemd makes / shared only on a
# host), so /run/netns/t made after the start would stay an empty file in it.
in_container systemctl restart port_exporter || fail "systemctl restart (namespaces: all)"
wait_for 60 "namespace t swept in the procfs mode" swept_in procfs ||
  { scrape | grep -E '^port_(exporter_namespaces|listener_info|listeners)\{port="2908"|^port_exporter_namespaces' || true; fail "namespaces: all under the unit alone"; }
metrics=$(scrape)
grep -qx 'port_exporter_namespaces{mode="netlink"} 0' <<<"$metrics" || fail "netlink mode without the drop-in"
grep -qx 'port_exporter_namespaces{mode="none"} 0' <<<"$metrics" || fail "a namespace left unread without the drop-in"
echo "ok   namespaces: all under the unit alone: namespace t swept in the procfs mode (setns refused)"
in_container mkdir -p /etc/systemd/system/port_exporter.service.d
in_container cp /usr/share/port-exporter/systemd/netns-netlink.conf /etc/systemd/system/port_exporter.service.d/
in_container systemctl daemon-reload
in_container systemctl restart port_exporter || fail "systemctl restart with netns-netlink.conf"
wait_for 60 "namespace t swept in the netlink mode" swept_in netlink ||
  { scrape | grep -E '^port_exporter_namespaces|^port_listener_info\{port="2908"' || true; fail "netns-netlink drop-in: not in the netlink mode"; }
metrics=$(scrape)
grep -qx 'port_exporter_namespaces{mode="procfs"} 0' <<<"$metrics" || fail "procfs mode left with the drop-in"
grep -qx 'port_exporter_namespaces{mode="none"} 0' <<<"$metrics" || fail "a namespace left unread with the drop-in"
echo "     $(scrape | grep '^port_listener_info{port="2908",protocol="tcp".*netns="t"')"
echo "ok   netns-netlink drop-in: namespace t swept in the netlink mode, its listener counted and attributed"

started=$(date +%s%N)
in_container systemctl stop port_exporter || fail "systemctl stop"
elapsed_ms=$(( ($(date +%s%N) - started) / 1000000 ))
result=$(in_container systemctl show -p Result --value port_exporter)
code=$(in_container systemctl show -p ExecMainStatus --value port_exporter)
echo "     stop: ${elapsed_ms} ms, Result=$result, ExecMainStatus=$code"
[ "$result" = success ] && [ "$code" = 0 ] || fail "systemctl stop: Result=$result status=$code"
echo "ok   systemctl stop: exit 0 in ${elapsed_ms} ms"
echo "systemd live: all checks passed"
