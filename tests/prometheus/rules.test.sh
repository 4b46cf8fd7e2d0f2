#!/usr/bin/env bash
# The shipped alert rules load cleanly (lint included), pass their promtool unit tests, and
# every alert has severity, summary, description and a runbook_url whose anchor exists in
# docs/runbook.md.
set -euo pipefail

repo_root=${REPO_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
rules="$repo_root/deploy/prometheus/port_exporter.rules.yml"
runbook="$repo_root/docs/runbook.md"
runbook_prefix="https://github.com/port-exporter/port_exporter/blob/main/docs/runbook.md#"

if ! command -v promtool >/dev/null; then
  echo "SKIP: promtool not installed (Debian package prometheus)" >&2
  exit 77
fi

# --lint-fatal: a duplicate rule is an error here, not a warning that scrolls by.
promtool check rules --lint=all --lint-fatal "$rules"
# promtool resolves rule_files relative to the test file.
promtool test rules "$repo_root/deploy/prometheus/port_exporter.rules.test.yml"

# Each rule (a `- alert:` block) has the labels and annotations the docs promise.
failed=0
rule_count=$(grep -c '^ *- alert: ' "$rules")
for key in 'severity' 'summary' 'description' 'runbook_url' 'for'; do
  count=$(grep -c "^ *$key: " "$rules")
  if [ "$count" -ne "$rule_count" ]; then
    echo "FAIL: $rule_count alerting rules but $count '$key:' lines" >&2
    failed=1
  fi
done
grep -q '^ *record: ' "$rules" && { echo "FAIL: recording rules are not expected here" >&2; failed=1; }

# runbook_url is the prefix + the alert name in lower case, and the runbook has that heading.
while read -r name; do
  anchor=$(tr '[:upper:]' '[:lower:]' <<<"$name")
  # The alert's own block: from its `- alert:` line to the next one.
  block=$(awk -v n="$name" '/^ *- alert: /{on = ($3 == n)} on' "$rules")
  if ! grep -qxF "          runbook_url: $runbook_prefix$anchor" <<<"$block"; then
    echo "FAIL: $name: runbook_url is not $runbook_prefix$anchor" >&2
    failed=1
  fi
  if ! grep -qx "## $name" "$runbook"; then
    echo "FAIL: $name: docs/runbook.md has no '## $name' heading (anchor #$anchor)" >&2
    failed=1
  fi
done < <(awk '/^ *- alert: /{print $3}' "$rules" | sort -u)
exit "$failed"
