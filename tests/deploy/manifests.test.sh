#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The Kubernetes base renders (`kubectl kustomize deploy/kubernetes`), every object passes
# the Kubernetes / Prometheus Operator schemas (npm kubernetes-models), the objects refer
# to each other correctly (validate-manifests.js), the ConfigMap holds config/port_exporter.yml
# and passes `port_exporter --check-config`, the PrometheusRule is the generated copy of
# deploy/prometheus/port_exporter.rules.yml and passes promtool, and the overlay that
# docs/deploy.md shows for kube-prometheus-stack users renders and validates too; the
# closed-attempts and netns-netlink components add only their capabilities.
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

step "the closed-attempts component adds CAP_BPF and CAP_PERFMON, nothing else"
mkdir -p "$work/probe"
cat >"$work/probe/kustomization.yaml" <<EOF
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - $(realpath --relative-to="$work/probe" "$repo_root/deploy/kubernetes")
components:
  - $(realpath --relative-to="$work/probe" "$repo_root/deploy/kubernetes/components/closed-attempts")
EOF
kubectl kustomize "$work/probe" >"$work/probe.yaml"
added_caps() {  # added_caps FILE: the container's capabilities.add, sorted, one line
  awk '/ add:$/ { f = 1; next } f && /^ *- / { print $2; next } { f = 0 }' "$1" |
    sort | tr '\n' ' '
}
want=$( (added_caps "$work/rendered.yaml" | tr ' ' '\n'; echo BPF; echo PERFMON) |
  grep -v '^$' | sort | tr '\n' ' ')
caps=$(added_caps "$work/probe.yaml")
[ "$caps" = "$want" ] || bad "component capabilities: '$caps', want '$want'"
diff <(grep -v -e '- BPF' -e '- PERFMON' "$work/probe.yaml") "$work/rendered.yaml" >/dev/null ||
  bad "the component changes more than the capabilities"

step "the netns-netlink component adds CAP_SYS_ADMIN, nothing else"
mkdir -p "$work/netns"
cat >"$work/netns/kustomization.yaml" <<EOF
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - $(realpath --relative-to="$work/netns" "$repo_root/deploy/kubernetes")
components:
  - $(realpath --relative-to="$work/netns" "$repo_root/deploy/kubernetes/components/netns-netlink")
EOF
kubectl kustomize "$work/netns" >"$work/netns.yaml"
want=$( (added_caps "$work/rendered.yaml" | tr ' ' '\n'; echo SYS_ADMIN) |
  grep -v '^$' | sort | tr '\n' ' ')
caps=$(added_caps "$work/netns.yaml")
[ "$caps" = "$want" ] || bad "netns-netlink capabilities: '$caps', want '$want'"
diff <(grep -v -e '- SYS_ADMIN' "$work/netns.yaml") "$work/rendered.yaml" >/dev/null ||
  bad "the netns-netlink component changes more than the capabilities"

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

step "the web-security component (TLS + basic auth, docs/security.md)"
mkdir -p "$work/secure"
base_rel=$(realpath --relative-to="$work/secure" "$repo_root/deploy/kubernetes")
cat >"$work/secure/kustomization.yaml" <<EOF
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - $base_rel
components:
  - $base_rel/components/web-security
EOF
kubectl kustomize "$work/secure" >"$work/secure.yaml"
# shellcheck disable=SC2016  # JavaScript template strings, not shell
node -e '
  const yaml = require(process.argv[1] + "/node_modules/js-yaml");
  const docs = yaml.loadAll(require("fs").readFileSync(process.argv[2], "utf8")).filter(Boolean);
  const bad = [];
  const ds = docs.find((d) => d.kind === "DaemonSet");
  const pod = ds.spec.template.spec;
  const c = pod.containers[0];
  const volume = pod.volumes.find((v) => v.secret && v.secret.secretName === "port-exporter-web");
  const mount = volume && c.volumeMounts.find((m) => m.name === volume.name);
  if (!mount || !mount.readOnly) bad.push("Secret port-exporter-web not mounted read-only");
  else if (!c.args.includes(`--web.config.file=${mount.mountPath}/web.yml`))
    bad.push("--web.config.file does not point into the Secret mount");
  for (const p of [c.livenessProbe, c.readinessProbe])
    if (!p.tcpSocket || p.tcpSocket.port !== "metrics" || p.httpGet) bad.push("probe not tcpSocket");
  const ep = docs.find((d) => d.kind === "ServiceMonitor").spec.endpoints[0];
  if (ep.scheme !== "https") bad.push("ServiceMonitor scheme");
  if (ep.tlsConfig.ca.secret.name !== "port-exporter-scrape") bad.push("tlsConfig CA secret");
  if (ep.basicAuth.username.name !== "port-exporter-scrape" ||
      ep.basicAuth.password.key !== "password") bad.push("basicAuth secret refs");
  if (bad.length) { console.log(bad.join("\n")); process.exit(1); }
  console.log("ok   web-security: Secret mounted, --web.config.file, TCP probes, https + basicAuth");
' "$here" "$work/secure.yaml" || bad "web-security component"

step "image tag == project version"
version=$(sed -n 's/^project(port_exporter VERSION \([0-9.]*\).*/\1/p' "$repo_root/CMakeLists.txt")
if grep -q "image: localhost/port_exporter:$version\$" "$repo_root/deploy/kubernetes/daemonset.yaml"; then
  echo "ok   localhost/port_exporter:$version"
else
  bad "deploy/kubernetes/daemonset.yaml image tag is not the project version $version"
fi

[ "$fail" -eq 0 ] || { echo "manifests: FAILED"; exit 1; }
echo "manifests: all checks passed"
