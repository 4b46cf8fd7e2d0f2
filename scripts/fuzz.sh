#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Runs each libFuzzer target of tests/fuzz for FUZZ_SECONDS (default 30), starting from its
# checked-in corpus; new interesting inputs go to BUILD/fuzz-corpus/<target>, crashes to
# BUILD/fuzz-artifacts/. Prints the executions per target. Exit 1 on any finding: copy the
# artifact into tests/fuzz/<target>/ (then `make test` replays it), fix, rerun.
# Usage: scripts/fuzz.sh BUILD_DIR [SECONDS_PER_TARGET]   (FUZZ_TARGETS="a b": only those)
set -euo pipefail

build=${1:?usage: $0 BUILD_DIR [SECONDS]}
seconds=${2:-${FUZZ_SECONDS:-30}}
root=$(cd "$(dirname "$0")/.." && pwd)
targets=(${FUZZ_TARGETS:-config netlink procfs duration listen_address owners web_config http_headers
  frame})

mkdir -p "$build/fuzz-artifacts"
status=0
summary=""
for target in "${targets[@]}"; do
  corpus="$build/fuzz-corpus/$target"
  mkdir -p "$corpus"
  log="$build/fuzz-artifacts/$target.log"
  # -rss_limit_mb and -timeout make a bloating or hanging input a finding; 1 MiB inputs
  # are the config loader's cap. ASan and UBSan are on (see the Makefile).
  if ! "$build/tests/fuzz/fuzz_$target" -max_total_time="$seconds" -timeout=10 \
      -rss_limit_mb=1024 -max_len=65536 -print_final_stats=1 \
      -artifact_prefix="$build/fuzz-artifacts/$target-" \
      "$corpus" "$root/tests/fuzz/$target" >"$log" 2>&1; then
    status=1
    echo "fuzz: $target FOUND A PROBLEM; see $log and $build/fuzz-artifacts/" >&2
    tail -n 30 "$log" >&2
  fi
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  peak=$(sed -n 's/^stat::peak_rss_mb: *//p' "$log" | tail -n 1)
  summary+=$(printf '%-15s %10s executions in %ss, peak RSS %s MB\n' \
    "$target" "${runs:-?}" "$seconds" "${peak:-?}")$'\n'
done
printf '%s' "$summary"
exit "$status"
