#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Every C++ file follows .clang-format (Google base, 100 columns).
set -euo pipefail
: "${REPO_ROOT:?}"
command -v clang-format >/dev/null || { echo "clang-format is not installed" >&2; exit 1; }
cd "$REPO_ROOT"
git ls-files '*.cpp' '*.h' | xargs clang-format --dry-run --Werror
echo "clang-format: every file formatted"
