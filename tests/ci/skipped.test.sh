#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `make test` under CI=true fails when ctest skipped a test: scripts/check-skipped.sh on the
# JUnit report of a real ctest run (a scratch project: one test that exits 77, the
# SKIP_RETURN_CODE of the scripted tests, and one that passes) fails with CI=true and
# names the test, passes without CI, and passes with CI=true once nothing is skipped.
set -euo pipefail

repo_root=${REPO_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
check=$repo_root/scripts/check-skipped.sh
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }

project() {  # project DIR SKIP_EXIT: a ctest project whose first test exits SKIP_EXIT
  mkdir -p "$1"
  cat >"$1/CMakeLists.txt" <<EOT
cmake_minimum_required(VERSION 3.18)
project(skipped NONE)
enable_testing()
add_test(NAME needs_a_tool COMMAND sh -c "exit $2")
set_tests_properties(needs_a_tool PROPERTIES SKIP_RETURN_CODE 77)
add_test(NAME plain COMMAND true)
EOT
  cmake -S "$1" -B "$1/build" >/dev/null
  (cd "$1/build" && ctest --output-junit junit.xml >/dev/null)
}

project "$work/skips" 77
if out=$(CI=true "$check" "$work/skips/build/junit.xml" 2>&1); then
  bad "CI=true with a skipped test passed: $out"
elif grep -qF "1 of 2 tests skipped: needs_a_tool" <<<"$out"; then
  echo "ok   CI=true, one test skipped: fails and names it"
else
  bad "unexpected output: $out"
fi
out=$(env -u CI "$check" "$work/skips/build/junit.xml" 2>&1) || bad "without CI a skip failed: $out"
grep -qF "1 of 2 tests skipped: needs_a_tool" <<<"$out" || bad "without CI the skip is not listed: $out"
echo "ok   without CI: listed, not fatal"

project "$work/runs" 0
out=$(CI=true "$check" "$work/runs/build/junit.xml" 2>&1) || bad "CI=true, nothing skipped, failed: $out"
grep -qF "0 of 2 tests skipped" <<<"$out" || bad "unexpected output: $out"
echo "ok   CI=true, nothing skipped: passes"

[ "$fail" -eq 0 ] || { echo "skipped: FAILED"; exit 1; }
echo "skipped: all checks passed"
