#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The namespace dimension (issue 15): at each count of `ip netns` namespaces (BENCH_NETNS,
# default "0 20"; issue 15 asks for up to 500: BENCH_NETNS="0 100 500"), with a python3
# listener on the watched port in each when BENCH_NETNS_LISTENERS=1, it prints
#   - the sock_diag dump cost per namespace, LISTEN-only and all states (bench/netns_dump.py),
#   - the exporter's collection time with `namespaces: all` at interval 1s (min/median/max
#     of port_exporter_collect_duration_seconds over BENCH_NETNS_WINDOW [12] scrapes: every
#     namespace is swept each time, TCP connections every 10th collection),
#   - `ip netns exec NS ss -tlnp` run over the same namespaces, for the ratio.
# The machine's other namespaces (containers, other tests) are swept too. Removes every
# namespace and process it made, even on failure. Needs root.
#   bench/netns.sh BUILD_DIR
set -euo pipefail

build=$(cd "${1:-build}" && pwd)
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
exporter=$build/port_exporter
levels=(${BENCH_NETNS:-0 20})
window=${BENCH_NETNS_WINDOW:-12}
with_listeners=${BENCH_NETNS_LISTENERS:-1}
# shellcheck source=../tests/lib.sh
. "$repo/tests/lib.sh"

[ "$(id -u)" -eq 0 ] || { echo "netns.sh: needs root (ip netns)" >&2; exit 2; }
work=$(mktemp -d /tmp/port_exporter_netns_bench.XXXXXX)
prefix="pe-nb-$$"
pids=()
made=0
cleanup() {
  for pid in "${pids[@]}"; do stop "$pid" 2; done
  for ((i = 0; i < made; i++)); do ip netns del "$prefix-$i" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

port=$(free_port)
web=$(free_port "$port")
printf 'interval: 1s\nnamespaces: all\nports:\n  - port: %s\n' "$port" >"$work/config.yml"
printf '%-10s %-10s %14s %14s %28s %16s\n' namespaces listeners "listen-only" "all-states" \
  "collection min/median/max" "ss -tlnp each"
for n in "${levels[@]}"; do
  for ((i = made; i < n; i++)); do
    ip netns add "$prefix-$i"
    ip netns exec "$prefix-$i" ip link set lo up
    made=$((i + 1))
    if [ "$with_listeners" = 1 ]; then
      ip netns exec "$prefix-$i" python3 -c '
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(); time.sleep(3600)' \
        "$port" &
      pids+=($!)
    fi
  done
  dumps=("-" "-")
  if [ "$n" -gt 0 ]; then
    mapfile -t dumps < <(python3 "$repo/bench/netns_dump.py" "$n" 3 | awk '{print $4 " us"}')
  fi
  "$exporter" --config.file="$work/config.yml" --web.listen-address="127.0.0.1:$web" \
    --log.level=error >"$work/exporter.log" 2>&1 &
  exporter_pid=$!
  pids+=("$exporter_pid")
  wait_for 20 "exporter ready" curl -fsS "http://127.0.0.1:$web/-/ready"
  collection=$(for _ in $(seq "$window"); do
      curl -fsS "http://127.0.0.1:$web/metrics" |
        awk '$1 == "port_exporter_collect_duration_seconds" { printf "%.2f\n", $2 * 1000 }'
      sleep 1
    done | sort -n | awk '{ a[NR] = $1 } END { printf "%s/%s/%s ms", a[1], a[int((NR + 1) / 2)], a[NR] }')
  stop "$exporter_pid" 2
  ss_ms="-"
  if [ "$n" -gt 0 ]; then
    start=$(date +%s%N)
    for ((i = 0; i < n; i++)); do ip netns exec "$prefix-$i" ss -tlnp >/dev/null; done
    ss_ms="$(( ($(date +%s%N) - start) / 1000000 )) ms"
  fi
  printf '%-10s %-10s %14s %14s %28s %16s\n' "$n" "$([ "$with_listeners" = 1 ] && echo "$n" || echo 0)" \
    "${dumps[0]}" "${dumps[1]}" "$collection" "$ss_ms"
done
