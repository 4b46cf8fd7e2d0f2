#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Cuts a release with the version written once in CMakeLists.txt (project VERSION):
#   1. checks: a clean work tree, CHANGELOG.md has a "## [VERSION]" section, the
#      Kubernetes image tag is VERSION, no tag vVERSION yet;
#   2. tags vVERSION (annotated) at HEAD;
#   3. builds the image localhost/port_exporter:VERSION (scripts/build-image.sh) and the
#      Debian package port-exporter_VERSION_ARCH.deb (make deb), with SOURCE_DATE_EPOCH =
#      the tagged commit's date (the build date --version prints is the commit's);
#   4. writes dist/: the .deb, the image as an OCI archive, SHA256SUMS.
# Pushing the tag, the image and the files is left to you (printed at the end).
# Usage: scripts/release.sh [--dry-run]   (--dry-run: run the checks, print the steps,
# change nothing; tests/release/release.test.sh runs it in make test)
set -euo pipefail

dry_run=0
case "${1:-}" in
  --dry-run) dry_run=1 ;;
  "") ;;
  *) echo "usage: $0 [--dry-run]" >&2; exit 2 ;;
esac

repo_root=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo_root"
fail() { echo "release: $*" >&2; exit 1; }

version=$(sed -n 's/^project(port_exporter VERSION \([0-9][0-9.]*\).*/\1/p' CMakeLists.txt)
[[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] ||
  fail "no X.Y.Z version in CMakeLists.txt's project(port_exporter VERSION ...)"
tag=v$version
arch=$(dpkg --print-architecture)
image=localhost/port_exporter:$version
deb=port-exporter_${version}_${arch}.deb

# Checks: the same in a dry run, so CI sees a release that would fail.
[ -z "$(git status --porcelain)" ] || fail "the work tree has uncommitted changes"
grep -q "^## \[$version\]" CHANGELOG.md || fail "CHANGELOG.md has no '## [$version]' section"
if [ -f deploy/kubernetes/daemonset.yaml ]; then
  grep -q "image: localhost/port_exporter:$version\$" deploy/kubernetes/daemonset.yaml ||
    fail "deploy/kubernetes/daemonset.yaml does not use the image tag $version"
fi
! git rev-parse -q --verify "refs/tags/$tag" >/dev/null || fail "tag $tag exists already"
revision=$(git rev-parse HEAD)
epoch=$(git log -1 --format=%ct HEAD)

steps=(
  "git tag -a $tag -m 'port_exporter $version' $revision"
  "scripts/build-image.sh $image"
  "SOURCE_DATE_EPOCH=$epoch make deb"
  "mkdir -p dist && cp build-deb/$deb dist/"
  "podman save --format oci-archive -o dist/port_exporter-$version.oci.tar $image"
  "cd dist && sha256sum $deb port_exporter-$version.oci.tar >SHA256SUMS"
)
echo "release: port_exporter $version ($tag at $revision)"
for step in "${steps[@]}"; do
  if [ "$dry_run" -eq 1 ]; then
    echo "would run: $step"
  else
    echo "+ $step"
    (eval "$step")
  fi
done
echo "release: then publish: git push origin $tag;" \
  "podman push $image <registry>/port_exporter:$version; attach dist/* to the release"
[ "$dry_run" -eq 0 ] || echo "release: dry run: nothing changed"
