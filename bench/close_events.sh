#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Cost of the destroy-notification reader (issue 11): the exporter's CPU (every thread,
# /proc/PID/task/*/schedstat) while unrelated ports close RATE sockets per second, with the
# kernel filter on and off (PORT_EXPORTER_EVENTS_KERNEL_FILTER=off), next to the same
# exporter idle. The exporter collects every 15 s (1 port, tcp+udp), so one collection at
# most falls in a window; the churn closes UDP sockets, and a last run watches the port for
# tcp only (the UDP groups are then not joined). The kernel builds and filters the notifications in its workqueue
# (kworker threads), not in the exporter: their CPU, summed over the host, is measured too,
# also with no subscriber at all (the baseline). Prints a table and appends it to
# bench/out/close_events.md.
#
#   bench/close_events.sh BUILD_DIR   (bench/run.sh runs it; BENCH_CLOSE_RATES ["10000
#   50000"], BENCH_CLOSE_WINDOW [10] seconds per measurement)
set -euo pipefail

build=$(cd "${1:-build}" && pwd)
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=$repo/bench/out
rates=(${BENCH_CLOSE_RATES:-10000 50000})
window=${BENCH_CLOSE_WINDOW:-10}
exporter=$build/port_exporter
churn=$build/bench/close_churn
for tool in "$exporter" "$churn"; do
  [ -x "$tool" ] || { echo "close_events.sh: $tool missing: build with -DPORT_EXPORTER_BUILD_BENCH=ON" >&2; exit 2; }
done
mkdir -p "$out"
work=$(mktemp -d /tmp/port_exporter_close_bench.XXXXXX)
exporter_pid=""
cleanup() {
  local status=$?
  [ -n "$exporter_pid" ] && { kill -TERM "$exporter_pid" 2>/dev/null || true; wait "$exporter_pid" 2>/dev/null || true; }
  rm -rf "$work"
  exit $status
}
trap cleanup EXIT

cpu_ns() { cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{s += $1} END {printf "%.0f\n", s}'; }
# Every kworker thread of the host, as "tid ns" lines; kworker_delta BEFORE AFTER sums the
# growth of the threads in AFTER (a new thread counts whole). Workers come and go: one that
# exits during the window takes its time with it, so this can only undercount. Other load
# on the host counts too.
kworker_ns() {
  local t
  for t in /proc/[0-9]*/task/[0-9]*; do
    case "$(cat "$t/comm" 2>/dev/null)" in
      kworker*) echo "${t##*/} $(cut -d' ' -f1 "$t/schedstat" 2>/dev/null)" ;;
    esac
  done
}
kworker_delta() {
  awk 'NR == FNR { before[$1] = $2; next } $2 != "" { s += $2 - before[$1] } END { printf "%.0f\n", s }' "$1" "$2"
}
printf 'interval: 15s\nports:\n  - port: 2908\n' >"$work/config.yml"
printf 'interval: 15s\nports:\n  - port: 2908\n    protocols: [tcp]\n' >"$work/config_tcp.yml"

# start_exporter FILTER(on|off) CONFIG
start_exporter() {
  PORT_EXPORTER_EVENTS_KERNEL_FILTER=$1 "$exporter" --config.file="$2" \
    --web.listen-address=127.0.0.1:0 >"$work/exporter.$1.log" 2>&1 &
  exporter_pid=$!
  for _ in $(seq 100); do
    grep -qs 'destroy notifications subscribed' "$work/exporter.$1.log" && return 0
    sleep 0.05
  done
  echo "close_events.sh: the exporter did not subscribe:" >&2
  cat "$work/exporter.$1.log" >&2
  exit 1
}
stop_exporter() { kill -TERM "$exporter_pid"; wait "$exporter_pid" || true; exporter_pid=""; }

# measure RATE: exporter CPU and kworker CPU, % of one core, over the window while
# close_churn runs at RATE (0: idle). Sets pct (- without an exporter), kpct and achieved.
measure() {
  local t0=0 t1=0
  [ -n "$exporter_pid" ] && t0=$(cpu_ns "$exporter_pid")
  kworker_ns >"$work/kworker.before"
  if [ "$1" -eq 0 ]; then
    sleep "$window"
    achieved=0
  else
    achieved=$("$churn" "$1" "$window" | sed -n 's/.*rate=\([0-9]*\).*/\1/p')
  fi
  kworker_ns >"$work/kworker.after"
  pct=-
  if [ -n "$exporter_pid" ]; then
    t1=$(cpu_ns "$exporter_pid")
    pct=$(awk -v ns="$((t1 - t0))" -v w="$window" 'BEGIN {printf "%.3f", ns / 1e9 / w * 100}')
  fi
  kpct=$(awk -v ns="$(kworker_delta "$work/kworker.before" "$work/kworker.after")" -v w="$window" 'BEGIN {printf "%.2f", ns / 1e9 / w * 100}')
}

table="| exporter | closes/s asked | closes/s achieved | exporter CPU, % of one core | kworker CPU (host), % of one core |
|---|---|---|---|---|"
for mode in none on off on-tcp; do
  config=$work/config.yml filter=${mode%-tcp}
  case $mode in
    none) what="none (no subscriber)" ;;
    on) what="kernel filter on" ;;
    off) what="kernel filter off" ;;
    on-tcp) what="kernel filter on, port watched for tcp only" config=$work/config_tcp.yml ;;
  esac
  [ "$mode" = none ] || { start_exporter "$filter" "$config"; sleep 1; }
  measure 0
  table+=$'\n'"| $what | 0 (idle) | 0 | $pct | $kpct |"
  for rate in "${rates[@]}"; do
    measure "$rate"
    table+=$'\n'"| $what | $rate | $achieved | $pct | $kpct |"
    echo "[close_events] exporter=$mode rate=$rate achieved=$achieved cpu=$pct% kworker=$kpct%" >&2
  done
  if [ "$mode" != none ]; then
    grep 'level=warn' "$work/exporter.$filter.log" >&2 || true
    stop_exporter
  fi
done
{
  echo "### Destroy notifications: exporter CPU while unrelated ports close sockets"
  echo
  echo "$(nproc) cores, Linux $(uname -r), window ${window}s per row, $(date -u +%FT%TZ)"
  echo
  echo "$table"
} | tee -a "$out/close_events.md"
