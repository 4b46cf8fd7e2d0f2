#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The namespace dimension (issue 15). For each number of TCP sockets held on the host
# (BENCH_NETNS_HOST_SOCKETS, default "0"; the issue's grid: "0 10000 100000"), with and
# without a listener on the watched port inside every namespace (BENCH_NETNS_LISTENERS,
# default "0 1"; each listener is held by its own process inside the namespace,
# as a pod's), and each number of `ip netns` namespaces (BENCH_NETNS, default "0 20"; grid:
# "0 100 500"), it runs the exporter with `namespaces: all` at interval BENCH_NETNS_INTERVAL
# (default 15s), in the netlink mode (BENCH_NETNS_MODE=procfs: without CAP_SYS_ADMIN, so
# every namespace is read from /proc/<pid>/net, as with the DaemonSet's default
# capabilities), and prints, over BENCH_NETNS_WINDOW collections (default 3) after one to warm
# up (first owner lookups, first all-states dumps of every namespace):
#   - collection time min/median/max (port_exporter_collect_duration_seconds, each collection),
#   - per namespace: (median - the median without namespaces) / namespaces,
#   - background CPU: the collecting process's CPU time (its threads' schedstat, kernel
#     work of its dumps included) over the window, in % of one core, and per collection,
#   - the age of the oldest connection counts held (port_exporter_namespace_connections_age_seconds),
#   - `ip netns exec NS ss -tlnp` run over the same namespaces (over the first
#     BENCH_NETNS_SS_MAX of them, default all, scaled to all: with 100k host fds each ss -p
#     takes ~2 s), and the ratio of our median collection to it.
# Without listeners, also the sweep alone (bench/netns_sweep: NamespaceSweep::dump with the
# connection dumps out of it, median of 21) per empty namespace: the issue's 50 us target.
# And once per host socket count, the raw sock_diag dump cost per namespace (LISTEN-only and
# all states, bench/netns_dump.py over 20 namespaces). The machine's other namespaces
# (containers, other tests) are swept too. Removes every namespace and process it made,
# even on failure. Needs root.
#   bench/netns.sh BUILD_DIR
set -euo pipefail

build=$(cd "${1:-build}" && pwd)
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
exporter=$build/port_exporter
holder=$build/bench/socket_holder
levels=(${BENCH_NETNS:-0 20})
host_levels=(${BENCH_NETNS_HOST_SOCKETS:-0})
listener_levels=(${BENCH_NETNS_LISTENERS:-0 1})
interval=${BENCH_NETNS_INTERVAL:-15s}
window=${BENCH_NETNS_WINDOW:-3}
mode=${BENCH_NETNS_MODE:-netlink}
ss_max=${BENCH_NETNS_SS_MAX:-1000000}
run_as=()
[ "$mode" = netlink ] || run_as=(setpriv --bounding-set=-sys_admin --inh-caps=-sys_admin --)
# shellcheck source=../tests/lib.sh
. "$repo/tests/lib.sh"
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

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

# CPU time of a process's threads in ns (schedstat: kernel work of its syscalls included; the
# short-lived setns threads that open a namespace's socket are not counted once gone).
cpu_ns() { cat "/proc/$1"/task/*/schedstat | awk '{ s += $1 } END { printf "%.0f\n", s }'; }
metric() { awk -v name="$1" '$1 == name { print $2 }'; }

port=$(free_port)
web=$(free_port "$port")
printf 'interval: %s\nnamespaces: all\nports:\n  - port: %s\n' "$interval" "$port" >"$work/config.yml"

# One cell: the exporter over the window with what exists now. Prints
# "min median max cpu_percent cpu_ms_per_collection age".
measure() {
  "${run_as[@]}" "$exporter" --config.file="$work/config.yml" --web.listen-address="127.0.0.1:$web" \
    --log.level=error >"$work/exporter.log" 2>&1 &
  local pid=$!
  pids+=("$pid")
  wait_for 60 "exporter ready" curl -fsS "http://127.0.0.1:$web/-/ready"
  local seen=0 total=$((window + 1)) t0 c0 durations=() age=0 text
  until [ "$seen" -ge "$total" ]; do
    sleep 0.2
    text=$(curl -fsS "http://127.0.0.1:$web/metrics")
    local n
    n=$(metric port_exporter_collections_total <<<"$text")
    n=${n%.*}
    [ "${n:-0}" -gt "$seen" ] || continue
    seen=$n
    if [ "$seen" -eq 1 ]; then  # warm-up done: the window starts now
      t0=$(date +%s%N)
      c0=$(cpu_ns "$pid")
      continue
    fi
    durations+=("$(metric port_exporter_collect_duration_seconds <<<"$text")")
    age=$(metric port_exporter_namespace_connections_age_seconds <<<"$text")
  done
  local c1 t1
  c1=$(cpu_ns "$pid")
  t1=$(date +%s%N)
  stop_holder "$pid"
  printf '%s\n' "${durations[@]}" | sort -g | awk -v cpu=$((c1 - c0)) \
    -v wall=$((t1 - t0)) -v n=$window -v age="$age" '
    { a[NR] = $1 * 1000 }
    END {
      cpu_s = cpu / 1e9
      printf "%.2f %.2f %.2f %.3f %.2f %.0f\n", a[1], a[int((NR + 1) / 2)], a[NR],
        100 * cpu_s / (wall / 1e9), 1000 * cpu_s / n, age
    }'
}

printf 'mode %s, interval %s, window %d collections after 1 to warm up; CPU: the collecting process, all threads (schedstat)\n' \
  "$mode" "$interval" "$window"
printf '%-12s %-10s %-9s %22s %12s %8s %10s %8s %12s %7s\n' "host-sockets" namespaces listeners \
  "collection min/med/max" "per-netns" "CPU %" "CPU/coll" "age" "ss -tlnp" ratio
for sockets in "${host_levels[@]}"; do
  holders=()
  for ((left = sockets, a = 3; left > 0; left -= 19000, a++)); do
    start_holder tcp "127.0.0.$a" $((left < 19000 ? left : 19000))
    holders+=("$holder_pid")
  done
  read -r -a dumps < <(python3 "$repo/bench/netns_dump.py" 20 3 | awk '{ printf "%s ", $4 } END { print "" }')
  printf '%-12s raw sock_diag dump per namespace: LISTEN-only %s us, all states %s us (%s TCP sockets on the host)\n' \
    "$sockets" "${dumps[0]}" "${dumps[1]}" "$(ss -Htan | wc -l)"
  for listeners in "${listener_levels[@]}"; do
    base_median=""
    for n in "${levels[@]}"; do
      for ((i = n; i < made; i++)); do ip netns del "$prefix-$i"; done
      made=$((made < n ? made : n))
      for ((i = made; i < n; i++)); do
        ip netns add "$prefix-$i"
        made=$((i + 1))
        ip netns exec "$prefix-$i" ip link set lo up
      done
      listeners_pid=""
      if [ "$listeners" = 1 ] && [ "$n" -gt 0 ]; then
        files=()
        for ((i = 0; i < n; i++)); do files+=("/run/netns/$prefix-$i"); done
        start_holder netns-listeners "$port" "${files[@]}"
        listeners_pid=$holder_pid
      fi
      if [ "$listeners" = 0 ]; then  # the sweep alone, connection dumps out of it
        read -r _ sweep_wall sweep_cpu _ < <("$build/bench/netns_sweep" "$port" 21 2>/dev/null)
        sweep_wall=${sweep_wall#wall_us=} sweep_cpu=${sweep_cpu#cpu_us=}
        [ "$n" -gt 0 ] || { base_wall=$sweep_wall base_cpu=$sweep_cpu; }
        [ "$n" -eq 0 ] || awk -v s="$sockets" -v n="$n" -v w="$sweep_wall" -v c="$sweep_cpu" \
          -v bw="$base_wall" -v bc="$base_cpu" 'BEGIN {
            printf "%-12s %-10s sweep alone (bench/netns_sweep, tcp+udp): %.0f us wall, %.0f us CPU: %.1f / %.1f us per empty namespace\n",
              s, n, w, c, (w - bw) / n, (c - bc) / n }'
      fi
      read -r lo med hi cpu per_coll age < <(measure)
      [ -n "$base_median" ] || base_median=$med
      per_ns="-"
      [ "$n" -gt 0 ] && per_ns=$(awk -v m="$med" -v b="$base_median" -v n="$n" \
        'BEGIN { printf "%.1f us", 1000 * (m - b) / n }')
      ss_ms="-" ratio="-"
      if [ "$n" -gt 0 ]; then
        start=$(date +%s%N)
        ss_n=$((n < ss_max ? n : ss_max))
        for ((i = 0; i < ss_n; i++)); do ip netns exec "$prefix-$i" ss -tlnp >/dev/null; done
        ss_ms=$(( ($(date +%s%N) - start) * n / ss_n / 1000000 ))
        ratio=$(awk -v m="$med" -v s="$ss_ms" 'BEGIN { printf "%.3f", m / s }')
        ss_ms="$ss_ms ms"
      fi
      [ -z "$listeners_pid" ] || stop_holder "$listeners_pid"
      printf '%-12s %-10s %-9s %22s %12s %8s %10s %8s %12s %7s\n' "$sockets" "$n" \
        "$([ "$listeners" = 1 ] && echo "$n" || echo 0)" "$lo/$med/$hi ms" "$per_ns" \
        "$cpu" "$per_coll ms" "$age s" "$ss_ms" "$ratio"
    done
  done
  for pid in "${holders[@]}"; do stop_holder "$pid"; done
done
