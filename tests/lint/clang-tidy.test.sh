#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# clang-tidy with the repository's .clang-tidy (bug patterns, performance) on src/: any
# finding fails. Uses the build's compile_commands.json.
set -euo pipefail
: "${REPO_ROOT:?}" "${BUILD_DIR:?}"
command -v clang-tidy >/dev/null || { echo "clang-tidy is not installed" >&2; exit 1; }
cd "$REPO_ROOT"
ls src/*/*.cpp | xargs -P "$(nproc)" -n 4 clang-tidy --quiet -p "$BUILD_DIR" 2>/dev/null \
  | tee /dev/stderr | { ! grep -qE "(warning|error):"; }
echo "clang-tidy: src/ clean"
