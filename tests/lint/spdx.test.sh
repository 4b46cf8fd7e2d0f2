#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Every source file says its license in its first lines, so that a file copied out of the
# repository still carries it: `SPDX-License-Identifier: Apache-2.0` in the first three
# lines (after a shebang) of every tracked C++, CMake, shell, JavaScript and packaging
# script file. A new file without it fails here.
set -euo pipefail
: "${REPO_ROOT:?}"
cd "$REPO_ROOT"

mapfile -t files < <(git ls-files '*.cpp' '*.h' '*.h.in' '*.sh' '*.js' '*.cmake' \
  CMakeLists.txt '*/CMakeLists.txt' Makefile Dockerfile .ci/run 'packaging/deb/p*' |
  grep -v '/node_modules/' | sort -u)
[ ${#files[@]} -gt 20 ] || { echo "FAIL: only ${#files[@]} files found: not a git checkout?"; exit 1; }
missing=()
for f in "${files[@]}"; do
  head -n 3 "$f" | grep -qE '(//|#) SPDX-License-Identifier: Apache-2\.0$' || missing+=("$f")
done
if [ ${#missing[@]} -gt 0 ]; then
  printf 'FAIL: no "SPDX-License-Identifier: Apache-2.0" in the first 3 lines of %s\n' "${missing[@]}"
  exit 1
fi
echo "spdx: all ${#files[@]} source files carry SPDX-License-Identifier: Apache-2.0"
