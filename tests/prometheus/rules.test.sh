#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The shipped alert rules load cleanly (lint included), pass their promtool unit tests, and
# every alert has severity, summary, description and a runbook_url whose anchor exists in
# docs/runbook.md; the runbook base rewritten by scripts/gen-prometheusrule.sh
# --runbook-base moves every link and nothing else.
set -euo pipefail

repo_root=${REPO_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
rules="$repo_root/deploy/prometheus/port_exporter.rules.yml"
runbook="$repo_root/docs/runbook.md"
gen=$repo_root/scripts/gen-prometheusrule.sh
runbook_prefix="$("$gen" --print-default-runbook-base)#"

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

# Another base: every link moves to it, the rest of the file is unchanged, promtool agrees.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
other=https://runbooks.example.com/ops/port_exporter
"$gen" --runbook-base="$other" --rules >"$work/rebased.yml"
moved=$(grep -c "^ *runbook_url: $other#[a-z]*\$" "$work/rebased.yml" || true)
if [ "$moved" -ne "$rule_count" ]; then
  echo "FAIL: --runbook-base moved $moved of $rule_count runbook_url lines" >&2
  failed=1
fi
if ! diff <(grep -v 'runbook_url: ' "$rules") <(grep -v 'runbook_url: ' "$work/rebased.yml") >&2; then
  echo "FAIL: --runbook-base changed more than the runbook links" >&2
  failed=1
fi
promtool check rules --lint=all --lint-fatal "$work/rebased.yml" >/dev/null ||
  { echo "FAIL: the rebased rules do not load" >&2; failed=1; }
"$gen" --runbook-base="$other" >"$work/rebased-prometheusrule.yaml"
grep -q "^ *runbook_url: $other#portunexpectedlistener\$" "$work/rebased-prometheusrule.yaml" ||
  { echo "FAIL: the rebased PrometheusRule lacks the new link" >&2; failed=1; }
[ "$failed" -eq 0 ] && echo "rules: all checks passed (default and rebased runbook links)"
exit "$failed"
