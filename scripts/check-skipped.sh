#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# After ctest: lists the tests that were skipped (SKIP_RETURN_CODE 77, a missing tool) or
# did not run, from ctest's JUnit report, and fails when CI=true and there is any: CI
# must run every test. Usage: scripts/check-skipped.sh BUILD_DIR/ctest-junit.xml
set -euo pipefail

report=${1:?usage: $0 ctest-junit.xml}
[ -f "$report" ] || { echo "check-skipped: $report is missing (ctest did not run?)" >&2; exit 1; }
# ctest writes one <testcase name=... status="run|fail|notrun|disabled"> per test.
mapfile -t skipped < <(sed -n 's/.*<testcase name="\([^"]*\)".*status="\(notrun\|disabled\)".*/\1/p' \
  "$report")
total=$(grep -c '<testcase ' "$report" || true)
echo "check-skipped: ${#skipped[@]} of $total tests skipped${skipped[*]:+: ${skipped[*]}}"
if [ ${#skipped[@]} -gt 0 ] && [ "${CI:-}" = true ]; then
  echo "check-skipped: CI=true and tests were skipped: install what they need" \
    "(scripts/install-deps.sh test) and rerun" >&2
  exit 1
fi
