#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `make run` compiles the core's sources as a unity build (CMake includes them into a few
# files, batches of 8): two files that define the same file-local name (anonymous namespace,
# static) compile alone but clash there. `make test` compiles each file alone, so this checks
# the clash here: all the core's sources as ONE translation unit (stricter than any batching),
# with the build's own compile command (warnings, -Werror) and -fsyntax-only (redefinitions,
# ambiguous calls and shadowed names are front-end errors). A file included twice must fail
# the same check: the harness itself is tested.
set -euo pipefail
: "${REPO_ROOT:?}" "${BUILD_DIR:?}"
command -v python3 >/dev/null || { echo "python3 is not installed" >&2; exit 77; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The compile command of one core source, as a list of arguments without -o/-c.
python3 - "$BUILD_DIR/compile_commands.json" "$REPO_ROOT/src/config/config.cpp" \
  >"$work/args" <<'EOF'
import json, shlex, sys
database, source = sys.argv[1], sys.argv[2]
for entry in json.load(open(database)):
    if entry["file"] == source:
        args = entry.get("arguments") or shlex.split(entry["command"])
        out, skip = [], False
        for arg in args:
            if skip:
                skip = False
            elif arg in ("-o", "-c"):
                skip = True
            elif arg != source:
                out.append(arg)
        print("\n".join(out))
        sys.exit(0)
sys.exit(f"{source}: not in {database}")
EOF
mapfile -t compile <"$work/args"

# check NAME FILE...: the files as one unit; prints the compiler's first errors on failure.
check() {
  local name=$1 file
  shift
  for file in "$@"; do printf '#include "%s"\n' "$file"; done >"$work/$name.cpp"
  (cd "$BUILD_DIR" && "${compile[@]}" -fsyntax-only "$work/$name.cpp") >"$work/$name.log" 2>&1
}

cd "$REPO_ROOT"
sources=()
for file in src/*/*.cpp; do
  [ "$file" = src/app/main.cpp ] || sources+=("$REPO_ROOT/$file")  # its own target
done
if ! check all "${sources[@]}"; then
  grep -m 20 -E "error" "$work/all.log" >&2
  echo "FAIL: the ${#sources[@]} core sources do not compile as one unit (the unity build" \
    "of make run): rename clashing file-local names, or share one definition in a header" >&2
  exit 1
fi
if check twice "$REPO_ROOT/src/base/utf8.cpp" "$REPO_ROOT/src/base/utf8.cpp"; then
  echo "FAIL: a file included twice compiled: the check would not see a clash" >&2
  exit 1
fi
grep -q "redefinition of" "$work/twice.log" ||
  { cat "$work/twice.log" >&2; echo "FAIL: no redefinition error for a file included twice" >&2; exit 1; }
echo "unity: the ${#sources[@]} core sources compile as one unit"
