#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The network edge under attack (issue 13): for each attack, a fresh exporter on loopback,
# the attack from 127.0.0.2 (bench/slowloris.cpp: idle or slow-header connections, re-opened
# as the server closes them, or opened once), and PROBES timed GETs of /metrics and of
# /-/healthy from 127.0.0.1 meanwhile (a new connection each). Prints p50/p99 of each, the
# serving process's CPU over the probing and its RSS with the attack on, checks the 100 ms
# p99 target, and appends the table to bench/out/slowloris.md.
#
#   bench/slowloris.sh BUILD_DIR   (bench/run.sh runs it; BENCH_SLOWLORIS_PROBES [200])
set -euo pipefail

build=$(cd "${1:-build}" && pwd)
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=$repo/bench/out
probes=${BENCH_SLOWLORIS_PROBES:-200}
exporter=$build/port_exporter
attack=$build/bench/slowloris
for tool in "$exporter" "$attack"; do
  [ -x "$tool" ] || { echo "slowloris.sh: $tool missing: build with -DPORT_EXPORTER_BUILD_BENCH=ON" >&2; exit 2; }
done
mkdir -p "$out"
work=$(mktemp -d /tmp/port_exporter_slowloris.XXXXXX)
exporter_pid=""
attack_pid=""
cleanup() {
  local status=$?
  for pid in $attack_pid $exporter_pid; do
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$work"
  exit $status
}
trap cleanup EXIT

port=23908
while [ -n "$(ss -Htan "( sport = :$port )")" ]; do port=$((port + 1)); done
ticks() { awk '{print $14 + $15}' /proc/"$1"/stat; }

md=$out/slowloris.md
{
  echo "| attack (from one client) | /metrics p50 ms | p99 ms | /-/healthy p50 ms | p99 ms | failed | server CPU % | server RSS MiB | refused |"
  echo "|---|---|---|---|---|---|---|---|---|"
} >"$md"
worst=0
for spec in "idle 0 once" "idle 200 reconnect" "slow 200 reconnect" "idle 1000 once" "idle 1000 reconnect"; do
  read -r mode count how <<<"$spec"
  "$exporter" --web.listen-address="127.0.0.1:$port" --log.level=warn 2>>"$work/exporter.log" &
  exporter_pid=$!
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/-/ready" >/dev/null && break; sleep 0.05; done
  server=$(cat /proc/"$exporter_pid"/task/"$exporter_pid"/children | awk '{print $1}')
  "$attack" "$port" "$mode" "$count" "$how" "$probes" 1000 >"$work/attack.out" &
  attack_pid=$!
  sleep 0.9
  rss=$(awk '$1 == "VmRSS:" {printf "%.1f", $2 / 1024}' /proc/"$server"/status)
  t0=$(ticks "$server"); s0=$(date +%s.%N)
  wait "$attack_pid"; attack_pid=""
  t1=$(ticks "$server"); s1=$(date +%s.%N)
  cpu=$(awk -v t=$((t1 - t0)) -v hz="$(getconf CLK_TCK)" -v a="$s0" -v b="$s1" 'BEGIN {printf "%.1f", t / hz / (b - a) * 100}')
  refused=$(curl -s "http://127.0.0.1:$port/metrics" | awk '/^port_exporter_http_connections_refused_total/ {s += $2} END {print s + 0}')
  kill -TERM "$exporter_pid"; wait "$exporter_pid" || true; exporter_pid=""
  read -r _ m50 m99 _ mf _ <<<"$(grep '^/metrics ' "$work/attack.out")"
  read -r _ h50 h99 _ hf _ <<<"$(grep '^/-/healthy ' "$work/attack.out")"
  label="$count $mode connections, $how"
  [ "$count" = 0 ] && label="none (baseline)"
  echo "| $label | $m50 | $m99 | $h50 | $h99 | $((mf + hf)) | $cpu | $rss | $refused |" >>"$md"
  worst=$(awk -v a="$worst" -v b="$m99" -v c="$h99" 'BEGIN {m = a; if (b > m) m = b; if (c > m) m = c; print m}')
done
{
  echo
  echo "slowloris: $probes probes per endpoint and attack, $(nproc) cores"
  cat "$md"
  echo
  awk -v w="$worst" 'BEGIN {printf "target: p99 of /metrics and /-/healthy under every attack <= 100 ms: %.1f ms %s\n", w, (w <= 100 ? "ok" : "MISSED")}'
} | tee -a "$out/summary.txt"
