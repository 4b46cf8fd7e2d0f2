#!/usr/bin/env bash
# The shipped alert rules load cleanly (lint included) and pass their promtool unit tests.
set -euo pipefail

repo_root=${REPO_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
rules_dir="$repo_root/deploy/prometheus"

if ! command -v promtool >/dev/null; then
  echo "SKIP: promtool not installed (Debian package prometheus)" >&2
  exit 77
fi

# --lint-fatal: a duplicate rule is an error here, not a warning that scrolls by.
promtool check rules --lint=all --lint-fatal "$rules_dir/port_exporter.rules.yml"
# promtool resolves rule_files relative to the test file.
promtool test rules "$rules_dir/port_exporter.rules.test.yml"
