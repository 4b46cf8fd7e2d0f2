#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The tree shows the data path, and includes only point down it: each folder of src/ may
# include the folders listed for it below, nothing above. Together with "a folder includes
# only lower folders", this means the include graph between folders has no cycle.
#   base  <  model  <  config  <  kernel (I/O)  <  core (pure)  <  exposition  <  app
# core and exposition are pure: they never include kernel/, so they never touch the kernel.
set -euo pipefail
: "${REPO_ROOT:?}"
cd "$REPO_ROOT/src"

declare -A allowed=(
  [base]="base"
  [model]="base model"
  [config]="base model config"
  [kernel]="base model config kernel"
  [core]="base model config core"
  [exposition]="base model config core exposition"
  [app]="base model config kernel core exposition app"
)

status=0
for dir in */; do
  dir=${dir%/}
  [ -n "${allowed[$dir]+set}" ] || { echo "src/$dir: folder without a layer in $0" >&2; status=1; continue; }
  while IFS=: read -r file line include; do
    target=$(sed -E 's/.*#include "([a-z_]+)\/.*/\1/' <<<"$include")
    if ! grep -qw -- "$target" <<<"${allowed[$dir]}"; then
      echo "src/$file:$line: $dir/ may not include $target/ (allowed: ${allowed[$dir]})" >&2
      status=1
    fi
  done < <(grep -nH -E '^#include "[a-z_]+/' "$dir"/* || true)
  # Every include of our own headers names its folder, so the check above sees it.
  if grep -nH -E '^#include "[^/"]+"' "$dir"/* >&2; then
    echo "src/$dir: include our headers as \"folder/name.h\"" >&2
    status=1
  fi
done
[ "$status" -eq 0 ] && echo "layers: every include points down the data path"
exit "$status"
