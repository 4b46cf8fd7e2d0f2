#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The closed-attempts eBPF probe against real packets (issue 14), as root: 20 refused TCP
# connects and 15 UDP datagrams to a closed watched port on 127.0.0.1 and ::1 count exactly
# 20 and 15 per family; an unwatched port counts nothing; a port with a listener counts
# nothing; connects from inside a network namespace this test creates count only for a
# port watched with `namespaces: all`, not for a host-scoped one (issue 15); a reload
# adds and removes ports; and as uid 65534 without capabilities the exporter starts, serves,
# exposes port_exporter_probe_loaded 0 and logs why; with CAP_BPF and CAP_PERFMON it loads.
set -euo pipefail

repo_root=${REPO_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
exporter=${PORT_EXPORTER:?PORT_EXPORTER must name the built port_exporter binary}
here="$repo_root/tests/probe"
# shellcheck source=../lib.sh
. "$repo_root/tests/lib.sh"

[ "$(id -u)" -eq 0 ] || { echo "FAIL: needs root (bpf(), ip netns)" >&2; exit 1; }
for tool in curl python3 ip setpriv ss; do
  command -v "$tool" >/dev/null || { echo "FAIL: $tool not installed" >&2; exit 1; }
done

tmp=$(mktemp -d /tmp/port_exporter-probe.XXXXXX)
chmod 755 "$tmp"
netns="pe-probe-$$"
exporter_pid="" listener_pid="" nobody_pid=""
cleanup() {
  stop "$exporter_pid" 2
  stop "$listener_pid" 2
  stop "$nobody_pid" 2
  ip netns del "$netns" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

closed=$(free_port) unwatched=$(free_port "$closed") busy=$(free_port "$closed" "$unwatched")
added=$(free_port "$closed" "$unwatched" "$busy")
web=$(free_port "$closed" "$unwatched" "$busy" "$added")
everywhere=$(free_port "$closed" "$unwatched" "$busy" "$added" "$web")
config="$tmp/config.yml"
write_config() {  # write_config PORT[:all]...: every port tcp+udp, expect absent
  { echo "interval: 1s"; echo "ports:"
    for p in "$@"; do
      echo "  - port: ${p%:all}"
      [ "${p%:all}" = "$p" ] || echo "    namespaces: all"
    done; } >"$config"
}
write_config "$closed" "$busy" "$everywhere:all"

metrics() { curl -sf "http://127.0.0.1:$web/metrics"; }
# value NAME{LABELS}: the sample's value, empty when absent
value() { metrics | awk -v s="$1" 'index($0, s " ") == 1 { print $2 }'; }
attempts() { value "port_closed_attempts_total{port=\"$1\",protocol=\"$2\",family=\"$3\"}"; }
# Waits for two collections to finish, so the last one began after what came before.
collections_reach() { [ "$(value port_exporter_collections_total)" -ge "$1" ]; }
settle() {
  local start
  start=$(value port_exporter_collections_total)
  wait_for 10 "two collections" collections_reach $((start + 2))
}
failures=0
expect() {  # expect WHAT WANT GOT
  if [ "$2" = "$3" ]; then
    echo "ok: $1 = $3"
  else
    echo "FAIL: $1: want '$2', got '$3'" >&2
    failures=$((failures + 1))
  fi
}

"$exporter" --config.file="$config" --web.listen-address="127.0.0.1:$web" 2>"$tmp/exporter.log" &
exporter_pid=$!
wait_for 10 "the exporter to serve" metrics
# Before the first collection the server shows the initial all-zero frame.
wait_for 10 "the first collection" collections_reach 1
expect "probe loaded" 1 "$(value 'port_exporter_probe_loaded{probe="closed_attempts"}')"
for fam in ipv4 ipv6; do
  expect "tcp/$closed $fam at start" 0 "$(attempts "$closed" tcp "$fam")"
done

# Closed watched port, an unwatched port, and a port with listeners.
python3 "$here/listen.py" "$busy" "$tmp/listening" &
listener_pid=$!
wait_for 5 "the listener" test -e "$tmp/listening"
for address in 127.0.0.1 ::1; do
  python3 "$here/knock.py" tcp "$address" "$closed" 20
  python3 "$here/knock.py" udp "$address" "$closed" 15
  python3 "$here/knock.py" tcp "$address" "$unwatched" 9
  python3 "$here/knock.py" udp "$address" "$unwatched" 9
  python3 "$here/connect_ok.py" "$address" "$busy" 10
done
settle
for fam in ipv4 ipv6; do
  expect "tcp/$closed $fam" 20 "$(attempts "$closed" tcp "$fam")"
  expect "udp/$closed $fam" 15 "$(attempts "$closed" udp "$fam")"
  expect "tcp/$busy $fam (listener)" 0 "$(attempts "$busy" tcp "$fam")"
  expect "udp/$busy $fam (listener)" 0 "$(attempts "$busy" udp "$fam")"
done
expect "unwatched port not exported" "" "$(metrics | grep -F "port=\"$unwatched\"" || true)"

# From inside a network namespace: its own loopback, its own (absent) sockets.
ip netns add "$netns"
ip -n "$netns" link set lo up
wait_for 5 "::1 in the namespace" ip netns exec "$netns" \
  sh -c "ip -6 addr show dev lo | grep -q '::1'"
for port in "$closed" "$everywhere"; do
  ip netns exec "$netns" python3 "$here/knock.py" tcp 127.0.0.1 "$port" 4
  ip netns exec "$netns" python3 "$here/knock.py" tcp ::1 "$port" 6
  ip netns exec "$netns" python3 "$here/knock.py" udp 127.0.0.1 "$port" 3
done
python3 "$here/knock.py" tcp 127.0.0.1 "$everywhere" 2
settle
# $closed is watched in the host namespace only: the namespace's knocks are not its.
expect "tcp/$closed ipv4, host scope, knocks in the namespace" 20 "$(attempts "$closed" tcp ipv4)"
expect "tcp/$closed ipv6, host scope, knocks in the namespace" 20 "$(attempts "$closed" tcp ipv6)"
expect "udp/$closed ipv4, host scope, knocks in the namespace" 15 "$(attempts "$closed" udp ipv4)"
# $everywhere is watched in every namespace: the host's 2 and the namespace's 4, 6, 3.
expect "tcp/$everywhere ipv4, namespaces: all" 6 "$(attempts "$everywhere" tcp ipv4)"
expect "tcp/$everywhere ipv6, namespaces: all" 6 "$(attempts "$everywhere" tcp ipv6)"
expect "udp/$everywhere ipv4, namespaces: all" 3 "$(attempts "$everywhere" udp ipv4)"

# Reload: watch $added and $unwatched instead of $closed. $unwatched's 9+9 earlier knocks
# must not have been counted in the kernel.
write_config "$added" "$unwatched" "$busy"
kill -HUP "$exporter_pid"
wait_for 10 "the reload" grep -q 'msg="config reloaded"' "$tmp/exporter.log"
python3 "$here/knock.py" tcp 127.0.0.1 "$added" 7
python3 "$here/knock.py" udp ::1 "$added" 5
python3 "$here/knock.py" tcp 127.0.0.1 "$closed" 3
settle
expect "tcp/$added ipv4 after reload" 7 "$(attempts "$added" tcp ipv4)"
expect "udp/$added ipv6 after reload" 5 "$(attempts "$added" udp ipv6)"
expect "tcp/$added ipv6 after reload" 0 "$(attempts "$added" tcp ipv6)"
for fam in ipv4 ipv6; do
  expect "tcp/$unwatched $fam: earlier knocks not counted" 0 "$(attempts "$unwatched" tcp "$fam")"
  expect "udp/$unwatched $fam: earlier knocks not counted" 0 "$(attempts "$unwatched" udp "$fam")"
done
expect "removed port not exported" "" "$(metrics | grep -F "port=\"$closed\"" || true)"
stop "$exporter_pid" 2
exporter_pid=""

# Not permitted: uid 65534 without any capability starts, serves and says why.
cp "$config" "$tmp/nobody.yml" && chmod 644 "$tmp/nobody.yml"
setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all --bounding-set=-all \
  "$exporter" --config.file="$tmp/nobody.yml" --web.listen-address="127.0.0.1:$web" \
  2>"$tmp/nobody.log" &
nobody_pid=$!
wait_for 10 "the unprivileged exporter to serve" metrics || { cat "$tmp/nobody.log" >&2; exit 1; }
wait_for 10 "its first collection" collections_reach 1
expect "probe not loaded as nobody" 0 "$(value 'port_exporter_probe_loaded{probe="closed_attempts"}')"
expect "no attempts family as nobody" "" "$(metrics | grep -F port_closed_attempts_total || true)"
expect "log says why" 1 "$(grep -c 'msg="closed_attempts probe not loaded; port_closed_attempts_total is not exported" reason=".*Operation not permitted.*CAP_BPF' "$tmp/nobody.log" || true)"

# The capabilities the probe needs, measured: CAP_BPF and CAP_PERFMON together, neither alone.
loaded_with() {  # loaded_with CAPS: probe_loaded of a --once run as uid 65534 with CAPS
  setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps="-all,$1" \
    --ambient-caps="-all,$1" --bounding-set="-all,$1" \
    "$exporter" --config.file="$tmp/nobody.yml" --once 2>/dev/null |
    awk '/^port_exporter_probe_loaded\{/ { print $2 }'
}
expect "probe with CAP_BPF+CAP_PERFMON" 1 "$(loaded_with +bpf,+perfmon)"
expect "probe with CAP_BPF only" 0 "$(loaded_with +bpf)"
expect "probe with CAP_PERFMON only" 0 "$(loaded_with +perfmon)"

if [ "$failures" -ne 0 ]; then
  echo "--- exporter log" >&2
  cat "$tmp/exporter.log" "$tmp/nobody.log" >&2
  exit 1
fi
echo "closed_attempts: all checks passed"
