#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# First attribution of a new listener (issue 15): how long the exporter takes to name the
# owner of a listener it has never seen, against `ss -tlnp 'sport = :PORT'` (which reads
# every /proc/*/fd), at 10k and 100k extra socket fds held by 10 root processes (the fd
# hard limit is 20,000 per process). The listener is opened by a process of root (the uid
# of the fd-heavy processes: the uid-first order saves nothing) and of nobody (it saves
# every root process). bench/first_attribution.cpp says what is timed. Prints a table and
# writes it to bench/out/first_attribution.md; removes every process it started.
#
#   bench/first_attribution.sh BUILD_DIR   (bench/run.sh runs it; BENCH_ATTRIBUTION_LEVELS
#   ["10000 100000"] fds, BENCH_ATTRIBUTION_ROUNDS [7])
set -euo pipefail

build=$(cd "${1:-build}" && pwd)
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=$repo/bench/out
levels=(${BENCH_ATTRIBUTION_LEVELS:-10000 100000})
rounds=${BENCH_ATTRIBUTION_ROUNDS:-7}
holders=10
attribution=$build/bench/first_attribution
holder=$build/bench/socket_holder
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
timeit=$build/bench/timeit
for tool in "$attribution" "$holder" "$timeit"; do
  [ -x "$tool" ] || { echo "first_attribution.sh: $tool missing: build with -DPORT_EXPORTER_BUILD_BENCH=ON" >&2; exit 2; }
done
[ "$(id -u)" = 0 ] || { echo "first_attribution.sh: run as root (listeners of other uids, every /proc/<pid>/fd)" >&2; exit 2; }
mkdir -p "$out"
work=$(mktemp -d /tmp/port_exporter_attribution.XXXXXX)
pids=()
cleanup() {
  local status=$?
  trap - EXIT INT TERM
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
  exit $status
}
trap cleanup EXIT
trap 'exit 130' INT TERM

stop_holders() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  pids=()
}
# MEASURE column of first_attribution's output: "ms (processes read)".
cell() { awk -v m="$1" '$1 == m {printf "%.1f (%d)", $2, $5}' "$2"; }

start_holder tcp 127.0.0.1 2
port=$(echo "$ready_line" | cut -d' ' -f2)
listen_holder=${pids[0]}
table=$out/first_attribution.md
{
  echo "| extra fds | processes | fds on host | listener uid | first attribution: dump + lookup, ms (processes read) | lookup | namespace walk (before) | completion at the next collection | ss -tlnp 'sport = :PORT', ms |"
  echo "|---|---|---|---|---|---|---|---|---|"
} >"$table"
for level in "${levels[@]}"; do
  start_holder sleepers "$holders" "$((level / holders))"
  processes=$(ls -d /proc/[0-9]* 2>/dev/null | wc -l || true)
  fds=$( (find /proc/[0-9]*/fd -mindepth 1 -maxdepth 1 2>/dev/null || true) | wc -l)
  ss_ms=$("$timeit" -n "$rounds" -w 1 -- ss -tlnp "sport = :$port" | awk '{printf "%.1f", $1}')
  for uid in 0 65534; do
    "$attribution" --rounds "$rounds" --uid "$uid" >"$work/result"
    echo "| $level | $processes | $fds | $uid | $(cell first "$work/result") | $(cell lookup "$work/result") | $(cell namespace "$work/result") | $(cell complete "$work/result") | $ss_ms |" >>"$table"
  done
  # Keep the listener's holder, stop the sleepers of this level.
  kill -TERM "${pids[-1]}" && wait "${pids[-1]}" 2>/dev/null || true
  unset 'pids[-1]'
done
stop_holders
echo "first attribution of a new listener (medians of $rounds rounds; $(nproc) cores, Linux $(uname -r))"
cat "$table"
