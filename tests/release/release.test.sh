#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# scripts/release.sh --dry-run on a copy of this repository's release inputs (CMakeLists.txt,
# CHANGELOG.md, the DaemonSet, the script) in a scratch git repository: it names the tag,
# image and package of the version in CMakeLists.txt and changes nothing; each failed
# precondition (dirty tree, no CHANGELOG section, a stale image tag, an existing tag) stops
# it with exit 1 and the reason.
set -euo pipefail

repo_root=${REPO_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }

version=$(sed -n 's/^project(port_exporter VERSION \([0-9.]*\).*/\1/p' "$repo_root/CMakeLists.txt")
arch=$(dpkg --print-architecture)
repo=$work/repo
mkdir -p "$repo/scripts" "$repo/deploy/kubernetes"
cp "$repo_root/CMakeLists.txt" "$repo_root/CHANGELOG.md" "$repo/"
cp "$repo_root/scripts/release.sh" "$repo/scripts/"
cp "$repo_root/deploy/kubernetes/daemonset.yaml" "$repo/deploy/kubernetes/"
git -C "$repo" init -q -b main
git -C "$repo" -c user.name=test -c user.email=test@example.invalid add -A
git -C "$repo" -c user.name=test -c user.email=test@example.invalid commit -q -m release
head=$(git -C "$repo" rev-parse HEAD)

out=$("$repo/scripts/release.sh" --dry-run 2>&1) || { echo "$out"; bad "dry run failed"; }
echo "$out"
for want in "release: port_exporter $version (v$version at $head)" \
  "would run: git tag -a v$version -m 'port_exporter $version' $head" \
  "would run: scripts/build-image.sh localhost/port_exporter:$version" \
  "would run: mkdir -p dist && cp build-deb/port-exporter_${version}_$arch.deb dist/" \
  "release: dry run: nothing changed"; do
  grep -qxF "$want" <<<"$out" || bad "dry run output lacks: $want"
done
grep -qx "would run: SOURCE_DATE_EPOCH=[0-9]* make deb" <<<"$out" || bad "no make deb step"
[ -z "$(git -C "$repo" tag)" ] || bad "the dry run created a tag"
[ -z "$(git -C "$repo" status --porcelain)" ] || bad "the dry run changed the tree"

# refuses NAME SETUP WANT: after SETUP (run in the repo), the dry run exits 1 saying WANT.
refuses() {
  local name=$1 setup=$2 want=$3 clone=$work/$1 out code
  git clone -q "$repo" "$clone"
  (cd "$clone" && eval "$setup")
  set +e
  out=$("$clone/scripts/release.sh" --dry-run 2>&1)
  code=$?
  set -e
  if [ "$code" -eq 1 ] && grep -qF "$want" <<<"$out"; then
    echo "ok   refuses $name: $out"
  else
    bad "$name: exit $code, output: $out (want exit 1 and '$want')"
  fi
}
refuses dirty 'echo x >>CHANGELOG.md' "uncommitted changes"
refuses changelog "sed -i 's/^## \\[$version\\]/## [0.0.0]/' CHANGELOG.md && git -c user.name=t -c user.email=t@e.invalid commit -qam c" \
  "CHANGELOG.md has no '## [$version]' section"
refuses image-tag "sed -i 's/port_exporter:$version/port_exporter:9.9.9/' deploy/kubernetes/daemonset.yaml && git -c user.name=t -c user.email=t@e.invalid commit -qam c" \
  "does not use the image tag $version"
refuses tag-exists "git -c user.name=t -c user.email=t@e.invalid tag -a v$version -m x" "tag v$version exists already"

[ "$fail" -eq 0 ] || { echo "release: FAILED"; exit 1; }
echo "release: all checks passed"
