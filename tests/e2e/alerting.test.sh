#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# End to end: the real exporter, a real Prometheus loading the shipped alert rules, real
# sockets. Only `for:` is shortened (sed), so the expressions and templates under test are
# the shipped ones. Checks: an expected port with no listener fires
# PortExpectedServiceMissing; a port expected absent is silent until a python3 listener
# opens on it, then PortUnexpectedListener fires naming python3 and its pid, and resolves
# when the listener closes, and PortShortLivedListener fires for that closed listener; a
# second exporter with the default 15 s interval catches a 50 ms listener opened between
# two of its collections (the destroy-notification path: its gauges never see it) and
# PortShortLivedListener fires for it; a listener inside a network namespace the test makes
# (`ip netns add`) on a port watched with `namespaces: all` fires PortUnexpectedListener
# naming that namespace; killing the exporter fires PortExporterDown.
# Prints the measured time-to-alert and time-to-resolve.
set -euo pipefail

repo_root=${REPO_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
exporter=${PORT_EXPORTER:?PORT_EXPORTER must name the built port_exporter binary}
rules="$repo_root/deploy/prometheus/port_exporter.rules.yml"
prom_py="$repo_root/tests/e2e/prom.py"
# shellcheck source=../lib.sh
. "$repo_root/tests/lib.sh"
short_for=2s     # replaces every `for:` in the test copy of the rules
deadline=60      # seconds, per wait

[ "$(id -u)" -eq 0 ] || { echo "FAIL: needs root (ip netns add)" >&2; exit 1; }
for tool in prometheus curl python3 ip ss; do
  if ! command -v "$tool" >/dev/null; then
    echo "SKIP: $tool not installed" >&2
    exit 77
  fi
done
[ -x "$exporter" ] || { echo "FAIL: PORT_EXPORTER=$exporter is not an executable" >&2; exit 1; }

tmp=$(mktemp -d /tmp/port_exporter-e2e.XXXXXX)
exporter_pid="" prometheus_pid="" listener_pid="" exporter2_pid="" netns_listener_pid=""
netns="pe-e2e-$$"

cleanup() {
  local rc=$?
  if [ "$rc" -ne 0 ]; then
    for log in exporter.log exporter2.log prometheus.log; do
      [ -f "$tmp/$log" ] && { echo "--- last lines of $log" >&2; tail -n 30 "$tmp/$log" >&2; }
    done
    curl -fsS --max-time 2 "http://127.0.0.1:${prom_port:-0}/api/v1/alerts" >&2 2>/dev/null || true
    echo >&2
  fi
  stop "$listener_pid"
  stop "$netns_listener_pid"
  ip netns del "$netns" 2>/dev/null || true
  stop "$exporter_pid"
  stop "$exporter2_pid"
  stop "$prometheus_pid"
  rm -rf "$tmp"
  exit "$rc"
}
trap cleanup EXIT

# Seven distinct free loopback ports, bound at the same time so they differ.
read -r p1 p2 exporter_port prom_port p3 exporter2_port p4 < <(python3 -c '
import socket
socks = [socket.socket() for _ in range(7)]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(*(s.getsockname()[1] for s in socks))')

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# poll WHAT CMD...: run CMD until it succeeds; fail after $deadline seconds.
poll() {
  local what=$1 start
  shift
  start=$(now)
  until "$@" >/dev/null 2>&1; do
    if [ -n "$exporter_pid" ] && ! kill -0 "$exporter_pid" 2>/dev/null &&
       [ "${exporter_may_exit:-no}" = no ]; then
      echo "FAIL: the exporter exited while waiting for: $what" >&2
      return 1
    fi
    if awk -v s="$start" -v n="$(now)" -v d="$deadline" 'BEGIN { exit !(n - s > d) }'; then
      echo "FAIL: no $what within ${deadline}s" >&2
      return 1
    fi
    sleep 0.2
  done
}

url_ok() { curl -fsS --max-time 2 -o /dev/null "$1"; }
prom() { python3 "$prom_py" "$1" "http://127.0.0.1:$prom_port" "${@:2}"; }
firing() { prom alerts "$1" firing "${@:2}"; }
# The API answers (exit 1, not 2) and no such alert is firing / exists in any state.
not_firing() { local rc=0; prom alerts "$1" firing "${@:2}" || rc=$?; [ "$rc" -eq 1 ]; }
no_alert() { local rc=0; prom alerts "$1" any "${@:2}" || rc=$?; [ "$rc" -eq 1 ]; }

# --- the exporter: P1 must stay free, P2 must have a listener (and has none) ----------
cat >"$tmp/exporter.yml" <<EOF
interval: 1s
namespaces: host
ports:
  - port: $p1
    protocols: [tcp]
    expect: absent
    description: "e2e: nothing may listen here"
  - port: $p2
    protocols: [tcp]
    expect: present
    description: "e2e: a service must listen here"
    allowed_processes: [e2e-service]
  - port: $p4
    protocols: [tcp]
    expect: absent
    namespaces: all
    description: "e2e: nothing may listen here, in any namespace"
EOF
"$exporter" --config.file="$tmp/exporter.yml" --web.listen-address="127.0.0.1:$exporter_port" \
  >"$tmp/exporter.log" 2>&1 &
exporter_pid=$!
poll "exporter /-/ready" url_ok "http://127.0.0.1:$exporter_port/-/ready"

# The second exporter: the default interval, P3 must stay free.
cat >"$tmp/exporter2.yml" <<EOF
interval: 15s
ports:
  - port: $p3
    protocols: [tcp]
    expect: absent
    description: "e2e: nothing may listen here either"
EOF
"$exporter" --config.file="$tmp/exporter2.yml" --web.listen-address="127.0.0.1:$exporter2_port" \
  >"$tmp/exporter2.log" 2>&1 &
exporter2_pid=$!
poll "exporter 2 /-/ready" url_ok "http://127.0.0.1:$exporter2_port/-/ready"

# --- Prometheus with the shipped rules, `for:` shortened --------------------------------
sed -E "s/^( *)for: .*/\1for: $short_for/" "$rules" >"$tmp/rules.yml"
# Only the `for:` lines may differ from the shipped file.
if ! diff <(grep -v '^ *for: ' "$rules") <(grep -v '^ *for: ' "$tmp/rules.yml") >/dev/null ||
   [ "$(grep -c '^ *for: ' "$rules")" -ne "$(grep -c "^ *for: $short_for\$" "$tmp/rules.yml")" ]; then
  echo "FAIL: the sed that shortens for: changed more than the for: lines" >&2
  exit 1
fi
cat >"$tmp/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
rule_files:
  - $tmp/rules.yml
scrape_configs:
  - job_name: port_exporter
    static_configs:
      - targets: ["127.0.0.1:$exporter_port", "127.0.0.1:$exporter2_port"]
EOF
prometheus --config.file="$tmp/prometheus.yml" --storage.tsdb.path="$tmp/data" \
  --web.listen-address="127.0.0.1:$prom_port" --log.level=warn >"$tmp/prometheus.log" 2>&1 &
prometheus_pid=$!
poll "Prometheus /-/ready" url_ok "http://127.0.0.1:$prom_port/-/ready"
poll "shipped rules loaded and healthy" prom rules
echo "rules loaded: $(prom rules | awk '{print $1}' | sort -u | tr '\n' ' ')"

# --- steady state: target up and scraped a few times ------------------------------------
poll "5 scrapes of port_unexpected_listeners{port=\"$p1\"} = 0" \
  prom query "count_over_time(port_unexpected_listeners{job=\"port_exporter\",port=\"$p1\",protocol=\"tcp\"}[1m]) >= 5 and max_over_time(port_unexpected_listeners{job=\"port_exporter\",port=\"$p1\",protocol=\"tcp\"}[1m]) == 0"

poll "PortExpectedServiceMissing firing for port $p2" \
  firing PortExpectedServiceMissing port="$p2" protocol=tcp instance="127.0.0.1:$exporter_port"
description=$(firing PortExpectedServiceMissing port="$p2" protocol=tcp |
  python3 -c 'import json,sys; print(json.loads(sys.stdin.readline())["annotations"]["description"])')
expected="No tcp listener on port $p2 on 127.0.0.1:$exporter_port, but the config says a service must listen there (e2e: a service must listen here)."
[ "$description" = "$expected" ] ||
  { echo "FAIL: PortExpectedServiceMissing description: '$description', want '$expected'" >&2; exit 1; }
echo "ok: PortExpectedServiceMissing fires for port $p2 (nothing listens)"

# The rules have been evaluated on data with P1 empty (the alert above proves it): no
# PortUnexpectedListener in any state, now or in the ALERTS history.
no_alert PortUnexpectedListener ||
  { echo "FAIL: PortUnexpectedListener while nothing listens on $p1" >&2; exit 1; }
if prom query 'ALERTS{alertname="PortUnexpectedListener"}[5m]'; then
  echo "FAIL: PortUnexpectedListener was pending or firing while nothing listened on $p1" >&2
  exit 1
fi
# The absent() part of PortExporterDown may fire before the first scrape; it must clear.
poll "PortExporterDown to clear once the target is up" no_alert PortExporterDown
firing_now=$(prom firing-names | tr '\n' ' ')
[ "$firing_now" = "PortExpectedServiceMissing " ] ||
  { echo "FAIL: a healthy exporter should fire only PortExpectedServiceMissing; firing: $firing_now" >&2; exit 1; }
echo "ok: no PortUnexpectedListener and no exporter-health alert while nothing listens on $p1"

# --- a listener opens on P1 -> PortUnexpectedListener, with python3 and its pid ----------
python3 -c '
import socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen()
open(sys.argv[2], "w").close()
time.sleep(300)' "$p1" "$tmp/listener.ready" &
listener_pid=$!
poll "the test listener on $p1" test -e "$tmp/listener.ready"
opened=$(now)
poll "PortUnexpectedListener firing for port $p1" \
  firing PortUnexpectedListener port="$p1" protocol=tcp instance="127.0.0.1:$exporter_port"
time_to_alert=$(since "$opened")
alert=$(firing PortUnexpectedListener port="$p1" protocol=tcp)
description=$(python3 -c 'import json,sys; print(json.loads(sys.stdin.readline())["annotations"]["description"])' <<<"$alert")
severity=$(python3 -c 'import json,sys; print(json.loads(sys.stdin.readline())["labels"]["severity"])' <<<"$alert")
# When this test itself runs in a container (the README's clean-container check), the
# listener is in it: the container runtime's 64-hex id in its cgroup path
# (docs/namespaces.md), which the description names.
container=$(grep -oE '[0-9a-f]{64}' "/proc/$listener_pid/cgroup" | head -1 || true)
expected="1 tcp listener(s) on port $p1 on 127.0.0.1:$exporter_port break the port's policy (expect: absent; e2e: nothing may listen here). Listening now: process \"python3\" pid $listener_pid uid $(id -u) exe $(readlink "/proc/$listener_pid/exe") on 127.0.0.1 (ipv4)${container:+ in container $container}."
[ "$description" = "$expected" ] ||
  { echo "FAIL: PortUnexpectedListener description: '$description', want '$expected'" >&2; exit 1; }
[ "$severity" = critical ] || { echo "FAIL: severity $severity, want critical" >&2; exit 1; }
echo "ok: PortUnexpectedListener fires for port $p1: $description"

# --- the listener closes -> resolved -------------------------------------------------------
stop "$listener_pid"
listener_pid=""
closed=$(now)
poll "PortUnexpectedListener for port $p1 to resolve" not_firing PortUnexpectedListener port="$p1"
time_to_resolve=$(since "$closed")
echo "ok: PortUnexpectedListener resolved after the listener closed"
# It closed on a port where nothing may listen: the close counter says so for 10 minutes.
poll "PortShortLivedListener firing for port $p1" \
  firing PortShortLivedListener port="$p1" protocol=tcp instance="127.0.0.1:$exporter_port"
echo "ok: PortShortLivedListener fires for the closed listener on port $p1"

# --- a listener inside a network namespace on P4 (namespaces: all) -----------------------
# Not 2908 itself: on a shared machine other tests may listen there in their namespaces,
# and this test asserts the whole alert. P4 is free on the host and the namespace is new.
ip netns add "$netns"
ip netns exec "$netns" ip link set lo up
ip netns exec "$netns" python3 -c '
import socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen()
open(sys.argv[2], "w").close()
time.sleep(300)' "$p4" "$tmp/netns_listener.ready" &
netns_listener_pid=$!
poll "the test listener on $p4 in $netns" test -e "$tmp/netns_listener.ready"
opened=$(now)
poll "PortUnexpectedListener firing for port $p4" \
  firing PortUnexpectedListener port="$p4" protocol=tcp instance="127.0.0.1:$exporter_port"
time_to_netns_alert=$(since "$opened")
description=$(firing PortUnexpectedListener port="$p4" protocol=tcp |
  python3 -c 'import json,sys; print(json.loads(sys.stdin.readline())["annotations"]["description"])')
# Then " in container ..." only when the test itself runs in a container.
expected="1 tcp listener(s) on port $p4 on 127.0.0.1:$exporter_port break the port's policy (expect: absent; e2e: nothing may listen here, in any namespace). Listening now: process \"python3\" pid $netns_listener_pid uid $(id -u) exe $(readlink "/proc/$netns_listener_pid/exe") on 127.0.0.1 (ipv4) in netns $netns"
[ "${description#"$expected"}" != "$description" ] ||
  { echo "FAIL: PortUnexpectedListener description: '$description', want it to start with '$expected'" >&2; exit 1; }
# The host's own count stays 0 on P4: the alert came from the namespace.
[ -z "$(ss -Htln "sport = :$p4")" ] || { echo "FAIL: something listens on $p4 on the host" >&2; exit 1; }
echo "ok: PortUnexpectedListener fires for a listener in netns $netns: $description"
stop "$netns_listener_pid"
netns_listener_pid=""
poll "PortUnexpectedListener for port $p4 to resolve" not_firing PortUnexpectedListener port="$p4"
ip netns del "$netns"
echo "ok: PortUnexpectedListener for port $p4 resolved after the listener in $netns closed"

# --- a 50 ms listener on P3, between two collections 15 s apart ---------------------------
# Right after a collection of exporter 2 (its collection counter just moved), so that the
# next one is ~15 s away: the gauges cannot see the listener, only the close counter can.
collections() {
  curl -fsS --max-time 2 "http://127.0.0.1:$exporter2_port/metrics" |
    awk '$1 == "port_exporter_collections_total" { print $2 }'
}
collected_since() { [ "$(collections)" != "$1" ]; }
before=$(collections)
poll "a fresh collection of exporter 2" collected_since "$before"
python3 -c '
import socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen()
time.sleep(0.05)
s.close()' "$p3"
opened=$(now)
poll "PortShortLivedListener firing for port $p3" \
  firing PortShortLivedListener port="$p3" protocol=tcp instance="127.0.0.1:$exporter2_port"
time_to_short_alert=$(since "$opened")
description=$(firing PortShortLivedListener port="$p3" protocol=tcp |
  python3 -c 'import json,sys; print(json.loads(sys.stdin.readline())["annotations"]["description"])')
expected="A tcp listener (or a socket bound without listening) on port $p3 on 127.0.0.1:$exporter2_port was closed in the last 10 minutes, where nothing may listen (e2e: nothing may listen here either). The last one was bound to 127.0.0.1 (ipv4) in network namespace host, uid unknown, closed at $(date -u +%Y-%m-%d)"
[ "${description#"$expected"}" != "$description" ] ||
  { echo "FAIL: PortShortLivedListener description: '$description', want it to start with '$expected'" >&2; exit 1; }
# The sampler never saw it: every scrape of exporter 2 said 0 listeners on P3.
if prom query "max_over_time(port_listeners{instance=\"127.0.0.1:$exporter2_port\",port=\"$p3\"}[5m]) > 0"; then
  echo "FAIL: exporter 2's gauges saw the 50 ms listener: the test did not test the event path" >&2
  exit 1
fi
echo "ok: PortShortLivedListener fires for a 50 ms listener between two 15 s collections: $description"

# --- the exporter dies -> PortExporterDown -----------------------------------------------
exporter_may_exit=yes
stop "$exporter_pid"
exporter_pid=""
killed=$(now)
poll "PortExporterDown firing" \
  firing PortExporterDown job=port_exporter instance="127.0.0.1:$exporter_port"
time_to_down=$(since "$killed")
echo "ok: PortExporterDown fires after the exporter stopped"

echo "measured (interval 1s, scrape 1s, evaluation 1s, for: $short_for):" \
  "time-to-alert ${time_to_alert}s, time-to-resolve ${time_to_resolve}s," \
  "50ms-listener-to-alert ${time_to_short_alert}s (interval 15s)," \
  "netns-listener-to-alert ${time_to_netns_alert}s," \
  "exporter-down-to-alert ${time_to_down}s"
