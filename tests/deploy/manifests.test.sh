#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The Kubernetes base renders (`kubectl kustomize deploy/kubernetes`), every object passes
# the Kubernetes / Prometheus Operator schemas (npm kubernetes-models), the objects refer
# to each other correctly (validate-manifests.js), the ConfigMap holds config/port_exporter.yml
# and passes `port_exporter --check-config`, the PrometheusRule is the generated copy of
# deploy/prometheus/port_exporter.rules.yml and passes promtool, and the overlay that
# docs/deploy.md shows for kube-prometheus-stack users renders and validates too.
set -euo pipefail

repo_root=${REPO_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
here=$repo_root/tests/deploy
: "${PORT_EXPORTER:?PORT_EXPORTER must be the path of the built port_exporter}"

for tool in kubectl node npm promtool; do
  command -v "$tool" >/dev/null || { echo "SKIP: $tool is not installed" >&2; exit 77; }
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Schema packages, pinned by package-lock.json: installed on the first run (a fresh clone).
# shellcheck source=../lib.sh
source "$repo_root/tests/lib.sh"
npm_ci_once "$here"

fail=0
step() { echo "--- $*"; }
bad() { echo "FAIL: $*"; fail=1; }

step "kubectl kustomize deploy/kubernetes"
kubectl kustomize "$repo_root/deploy/kubernetes" >"$work/rendered.yaml"
mkdir -p "$work/base"
node "$here/validate-manifests.js" "$work/rendered.yaml" \
  "$repo_root/deploy/prometheus/port_exporter.rules.yml" "$work/base" || bad "base manifests"

step "ConfigMap config == config/port_exporter.yml"
if cmp -s "$repo_root/config/port_exporter.yml" "$repo_root/deploy/kubernetes/port_exporter.yml"; then
  echo "ok   deploy/kubernetes/port_exporter.yml is config/port_exporter.yml"
else
  diff -u "$repo_root/config/port_exporter.yml" "$repo_root/deploy/kubernetes/port_exporter.yml" || true
  bad "deploy/kubernetes/port_exporter.yml differs: cp config/port_exporter.yml deploy/kubernetes/"
fi

step "port_exporter --check-config on the ConfigMap's config"
if "$PORT_EXPORTER" --check-config --config.file="$work/base/configmap-port_exporter.yml"; then
  echo "ok   --check-config"
else
  bad "--check-config rejected the ConfigMap's config"
fi
# A check that cannot fail checks nothing: an invalid config must be rejected.
printf 'interval: 15s\nports:\n  - port: 70000\n' >"$work/invalid.yml"
if "$PORT_EXPORTER" --check-config --config.file="$work/invalid.yml" >/dev/null 2>&1; then
  bad "--check-config accepted port 70000: the check above proves nothing"
fi

step "PrometheusRule: generated from the rules file, passes promtool"
"$repo_root/scripts/gen-prometheusrule.sh" --check || bad "prometheusrule.yaml is stale"
promtool check rules "$work/base/prometheusrule-groups.yml" || bad "promtool check rules"

step "the kube-prometheus-stack overlay of docs/deploy.md"
mkdir -p "$work/overlay"
base_rel=$(realpath --relative-to="$work/overlay" "$repo_root/deploy/kubernetes")  # no absolute paths
# kubectl 1.21+ embeds kustomize v4/v5 (the docs' form); Debian 12's kubectl 1.20 embeds
# kustomize v2.0.3: no `patches`, bases under `bases`. docs/deploy.md shows both forms.
client_minor=$(kubectl version --client -o json 2>/dev/null |
  sed -n 's/.*"minor": *"\([0-9]*\).*/\1/p' | head -n 1)
echo "kubectl client 1.${client_minor:-?}"
if [ "${client_minor:-99}" -ge 21 ]; then
  cat >"$work/overlay/kustomization.yaml" <<EOF
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: monitoring
resources:
  - $base_rel
images:
  - name: localhost/port_exporter
    newName: registry.example.com/port_exporter
    newTag: 0.1.0
patches:
  - target:
      group: monitoring.coreos.com
      kind: ServiceMonitor|PrometheusRule
    patch: |-
      - op: add
        path: /metadata/labels/release
        value: kube-prometheus-stack
EOF
else
  cat >"$work/overlay/kustomization.yaml" <<EOF
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: monitoring
bases:
  - $base_rel
images:
  - name: localhost/port_exporter
    newName: registry.example.com/port_exporter
    newTag: 0.1.0
patchesJson6902:
  - target: {group: monitoring.coreos.com, version: v1, kind: ServiceMonitor, name: port-exporter}
    path: release-label.yaml
  - target: {group: monitoring.coreos.com, version: v1, kind: PrometheusRule, name: port-exporter}
    path: release-label.yaml
EOF
  cat >"$work/overlay/release-label.yaml" <<EOF
- op: add
  path: /metadata/labels/release
  value: kube-prometheus-stack
EOF
fi
kubectl kustomize "$work/overlay" >"$work/overlay.yaml"
# shellcheck disable=SC2016  # JavaScript template strings, not shell
node -e '
  const yaml = require(process.argv[1] + "/node_modules/js-yaml");
  const docs = yaml.loadAll(require("fs").readFileSync(process.argv[2], "utf8")).filter(Boolean);
  const bad = [];
  for (const d of docs) {
    const wantsRelease = /^(ServiceMonitor|PrometheusRule)$/.test(d.kind);
    if (wantsRelease !== (d.metadata.labels.release === "kube-prometheus-stack"))
      bad.push(`${d.kind}: release label ${d.metadata.labels.release}`);
  }
  const ds = docs.find((d) => d.kind === "DaemonSet");
  if (ds.spec.template.spec.containers[0].image !== "registry.example.com/port_exporter:0.1.0")
    bad.push("image not rewritten");
  if (bad.length) { console.log(bad.join("\n")); process.exit(1); }
  console.log("ok   namespace, release labels and image set by the overlay");
' "$here" "$work/overlay.yaml" || bad "overlay"
mkdir -p "$work/overlay-out"
node "$here/validate-manifests.js" "$work/overlay.yaml" \
  "$repo_root/deploy/prometheus/port_exporter.rules.yml" "$work/overlay-out" monitoring \
  >"$work/overlay-validation.txt" || { cat "$work/overlay-validation.txt"; false; } ||
  bad "overlay manifests fail validation"

step "image tag == project version"
version=$(sed -n 's/^project(port_exporter VERSION \([0-9.]*\).*/\1/p' "$repo_root/CMakeLists.txt")
if grep -q "image: localhost/port_exporter:$version\$" "$repo_root/deploy/kubernetes/daemonset.yaml"; then
  echo "ok   localhost/port_exporter:$version"
else
  bad "deploy/kubernetes/daemonset.yaml image tag is not the project version $version"
fi

[ "$fail" -eq 0 ] || { echo "manifests: FAILED"; exit 1; }
echo "manifests: all checks passed"
