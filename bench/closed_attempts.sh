#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Cost of the closed-attempts eBPF probe (issue 14), side by side in one run: UDP datagrams
# to a closed, unwatched port on 127.0.0.1 (each one dropped for want of a socket: the
# packets the probe inspects) and a loopback TCP stream (packets the probe never sees), with
# no exporter and with an exporter whose probe is loaded, alternated ROUNDS times (medians).
# Then a paced window at BENCH_PROBE_RATE datagrams/s: the probe's own time per packet and
# its share of a core (the kernel's BPF run-time statistics, kernel.bpf_stats_enabled, set
# for the run and restored), and the exporter's CPU. Needs root (the probe and the sysctl);
# prints "skipped: ..." and exits 0 where the probe cannot load. Appends its table to
# bench/out/closed_attempts.md.
#
#   bench/closed_attempts.sh BUILD_DIR   (bench/run.sh runs it; BENCH_PROBE_ROUNDS [3],
#   BENCH_PROBE_WINDOW [5] seconds per measurement, BENCH_PROBE_RATE [100000])
set -euo pipefail

build=$(cd "${1:-build}" && pwd)
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=$repo/bench/out
rounds=${BENCH_PROBE_ROUNDS:-3}
window=${BENCH_PROBE_WINDOW:-5}
rate=${BENCH_PROBE_RATE:-100000}
exporter=$build/port_exporter
flood=$build/bench/packet_flood
for tool in "$exporter" "$flood"; do
  [ -x "$tool" ] || { echo "closed_attempts.sh: $tool missing: build with -DPORT_EXPORTER_BUILD_BENCH=ON" >&2; exit 2; }
done
for tool in bpftool python3 ss; do
  command -v "$tool" >/dev/null || { echo "closed_attempts.sh: $tool missing (scripts/install-deps.sh bench)" >&2; exit 2; }
done
mkdir -p "$out"
work=$(mktemp -d /tmp/port_exporter_probe_bench.XXXXXX)
exporter_pid=""
stats_before=$(sysctl -n kernel.bpf_stats_enabled 2>/dev/null || echo "")
cleanup() {
  local status=$?
  [ -n "$exporter_pid" ] && { kill -TERM "$exporter_pid" 2>/dev/null || true; wait "$exporter_pid" 2>/dev/null || true; }
  [ -n "$stats_before" ] && sysctl -q -w kernel.bpf_stats_enabled="$stats_before" >/dev/null 2>&1 || true
  rm -rf "$work"
  exit $status
}
trap cleanup EXIT

# The watched port and the closed target port: neither may have a socket (the target must
# stay closed for every datagram to be a drop; the watched one only keeps the map non-empty).
watched=2908
target=2911
if ss -Hanu "sport = :$target" | grep -q . || ss -Hant "sport = :$target" | grep -q .; then
  echo "closed_attempts.sh: port $target is in use; the target must be closed" >&2
  exit 1
fi
config=$work/config.yml
printf 'interval: 15s\nports:\n  - port: %s\n' "$watched" >"$config"

cpu_ns() { cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{s += $1} END {printf "%.0f\n", s}'; }

start_exporter() {
  "$exporter" --config.file="$config" --web.listen-address=127.0.0.1:0 >"$work/exporter.log" 2>&1 &
  exporter_pid=$!
  for _ in $(seq 200); do
    grep -qs 'closed_attempts probe loaded' "$work/exporter.log" && return 0
    if grep -qs 'closed_attempts probe not loaded' "$work/exporter.log" || ! kill -0 "$exporter_pid" 2>/dev/null; then
      echo "skipped: the probe does not load here: $(grep -m1 'probe' "$work/exporter.log" || true)"
      exit 0
    fi
    sleep 0.05
  done
  echo "closed_attempts.sh: no probe log line from the exporter:" >&2
  cat "$work/exporter.log" >&2
  exit 1
}
stop_exporter() { kill -TERM "$exporter_pid"; wait "$exporter_pid" || true; exporter_pid=""; }

# The probe program's "run_cnt run_time_ns" (kernel BPF statistics), found by its name.
probe_stats() {
  bpftool prog show --json | python3 -c '
import json, sys
for prog in json.load(sys.stdin):
    if prog.get("name", "").startswith("count_closed"):
        print(prog.get("run_cnt", 0), prog.get("run_time_ns", 0)); break
else:
    print(0, 0)'
}

field() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p"; }
median() { sort -g | awk '{v[NR] = $1} END {if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

sysctl -q -w kernel.bpf_stats_enabled=1 || { echo "skipped: cannot enable kernel.bpf_stats_enabled (not root?)"; exit 0; }

# Alternated rounds: without, with, without, with... so drift on a shared machine hits both.
: >"$work/udp.off"; : >"$work/udp.on"; : >"$work/tcp.off"; : >"$work/tcp.on"
for round in $(seq "$rounds"); do
  for mode in off on; do
    [ "$mode" = on ] && start_exporter
    "$flood" udp 127.0.0.1 "$target" "$window" | field rate >>"$work/udp.$mode"
    "$flood" tcp-stream "$window" | field mib_per_s >>"$work/tcp.$mode"
    [ "$mode" = on ] && stop_exporter
    echo "[closed_attempts] round $round $mode: udp $(tail -1 "$work/udp.$mode")/s, tcp $(tail -1 "$work/tcp.$mode") MiB/s" >&2
  done
done

# The paced window with the probe: its time per dropped packet and the exporter's CPU.
start_exporter
read -r cnt0 ns0 < <(probe_stats)
cpu0=$(cpu_ns "$exporter_pid")
paced=$("$flood" udp 127.0.0.1 "$target" "$window" "$rate")
cpu1=$(cpu_ns "$exporter_pid")
read -r cnt1 ns1 < <(probe_stats)
stop_exporter
sent=$(field sent <<<"$paced")
seconds=$(field seconds <<<"$paced")

udp_off=$(median <"$work/udp.off"); udp_on=$(median <"$work/udp.on")
tcp_off=$(median <"$work/tcp.off"); tcp_on=$(median <"$work/tcp.on")
table=$(awk -v uoff="$udp_off" -v uon="$udp_on" -v toff="$tcp_off" -v ton="$tcp_on" \
  -v rate="$rate" -v sent="$sent" -v secs="$seconds" -v runs=$((cnt1 - cnt0)) \
  -v rns=$((ns1 - ns0)) -v cpu=$((cpu1 - cpu0)) -v rounds="$rounds" -v window="$window" '
BEGIN {
  printf "| closed-attempts probe (%d alternated rounds of %d s, medians) | without | with the probe | ratio |\n", rounds, window
  printf "|---|---|---|---|\n"
  printf "| UDP datagrams/s to a closed unwatched port (one sender) | %.0f | %.0f | %.3f |\n", uoff, uon, uon / uoff
  printf "| loopback TCP stream (MiB/s) | %.0f | %.0f | %.3f |\n", toff, ton, ton / toff
  printf "\n| paced at %d datagrams/s for %.1f s | value |\n|---|---|\n", rate, secs
  printf "| datagrams sent (rate reached) | %d (%.0f/s) |\n", sent, sent / secs
  printf "| probe runs (kfree_skb with a socket-less drop) | %d |\n", runs
  printf "| probe time per run | %.0f ns |\n", runs ? rns / runs : 0
  printf "| probe CPU (%% of one core) | %.2f %% |\n", rns / (secs * 1e9) * 100
  printf "| exporter CPU, every thread (%% of one core) | %.3f %% |\n", cpu / (secs * 1e9) * 100
  printf "| derived: probe time / time per datagram without it (%.0f ns) | %.2f %% |\n", 1e9 / uoff, runs ? rns / runs * uoff / 1e7 : 0
}')
targets=$(awk -v uoff="$udp_off" -v uon="$udp_on" -v toff="$tcp_off" -v ton="$tcp_on" \
  -v runs=$((cnt1 - cnt0)) -v rns=$((ns1 - ns0)) 'BEGIN {
  u = uon / uoff; t = ton / toff; d = runs ? rns / runs * uoff / 1e7 : 100
  printf "%s  derived cost per dropped packet, share of its send time: %.2f %% (target <= 2)\n", (d <= 2 ? "PASS" : "FAIL"), d
  printf "%s  UDP to a closed port, with/without the probe: %.3f (target >= 0.98)\n", (u >= 0.98 ? "PASS" : "FAIL"), u
  printf "%s  loopback TCP stream, with/without the probe: %.3f (target >= 0.98)\n", (t >= 0.98 ? "PASS" : "FAIL"), t
}')
{
  echo
  echo "closed-attempts probe — $(date -u +%F), $(nproc) cores, Linux $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg)"
  echo
  echo "$table"
  echo
  echo "$targets"
} | tee -a "$out/closed_attempts.md"
