// SPDX-License-Identifier: Apache-2.0
// Validates the rendered kustomize output (`kubectl kustomize deploy/kubernetes`): every
// object against the Kubernetes / Prometheus Operator schemas, then the references between
// them. Writes the ConfigMap's config and the PrometheusRule's groups to OUT_DIR for the
// checks that need real tools (port_exporter --check-config, promtool).
// Usage: node validate-manifests.js RENDERED.yaml RULES_FILE OUT_DIR [NAMESPACE]
// NAMESPACE: the one every object must be in (an overlay); without it, none (the base).
'use strict';

const fs = require('fs');
const path = require('path');
const assert = require('assert');
const yaml = require('js-yaml');

const [renderedPath, rulesPath, outDir, namespace] = process.argv.slice(2);
if (!outDir) {
  console.error('usage: node validate-manifests.js RENDERED.yaml RULES_FILE OUT_DIR');
  process.exit(2);
}

const failures = [];
function check(what, fn) {
  try {
    fn();
    console.log(`ok   ${what}`);
  } catch (err) {
    failures.push(what);
    console.log(`FAIL ${what}\n     ${String(err.message || err).replace(/\n/g, '\n     ')}`);
  }
}

// apiVersion -> module exporting one model class per kind.
const modelModules = {
  v1: 'kubernetes-models/v1',
  'apps/v1': 'kubernetes-models/apps/v1',
  'monitoring.coreos.com/v1': '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1',
};

const objects = yaml.loadAll(fs.readFileSync(renderedPath, 'utf8')).filter(Boolean);
const byKind = {};
for (const obj of objects) (byKind[obj.kind] ||= []).push(obj);
const one = (kind) => {
  assert.strictEqual((byKind[kind] || []).length, 1, `expected exactly one ${kind}`);
  return byKind[kind][0];
};

for (const obj of objects) {
  check(`schema: ${obj.apiVersion} ${obj.kind}/${obj.metadata && obj.metadata.name}`, () => {
    const mod = modelModules[obj.apiVersion];
    assert(mod, `no schema known for apiVersion ${obj.apiVersion}`);
    const Model = require(mod)[obj.kind];
    assert(Model, `no schema known for ${obj.apiVersion} ${obj.kind}`);
    new Model(obj).validate();
    assert.strictEqual(obj.metadata.namespace, namespace,
      namespace ? `not in namespace ${namespace}` : 'the base is namespace-agnostic');
  });
}

check('kinds: one each of ServiceAccount ConfigMap DaemonSet Service ServiceMonitor PrometheusRule', () => {
  for (const k of ['ServiceAccount', 'ConfigMap', 'DaemonSet', 'Service', 'ServiceMonitor',
    'PrometheusRule']) one(k);
  assert.strictEqual(objects.length, 6, `unexpected extra objects: ${objects.length}`);
});

const matches = (selector, labels) =>
  Object.entries(selector || {}).every(([k, v]) => labels && labels[k] === v);

const ds = one('DaemonSet');
const pod = ds.spec.template.spec;
const container = pod.containers[0];
const svc = one('Service');
const sm = one('ServiceMonitor');

check('Service selects the DaemonSet pods, targetPort is a container port name', () => {
  assert(Object.keys(svc.spec.selector || {}).length > 0, 'Service has no selector');
  assert(matches(svc.spec.selector, ds.spec.template.metadata.labels),
    `Service selector ${JSON.stringify(svc.spec.selector)} does not match pod labels`);
  assert(matches(ds.spec.selector.matchLabels, ds.spec.template.metadata.labels),
    'DaemonSet selector does not match its own template');
  const portNames = (container.ports || []).map((p) => p.name);
  for (const p of svc.spec.ports) {
    assert(portNames.includes(p.targetPort) || portNames.length === 0,
      `targetPort ${p.targetPort} not in container ports ${portNames}`);
  }
});

check('ServiceMonitor selects the Service by label and scrapes its named port', () => {
  assert(matches(sm.spec.selector.matchLabels, svc.metadata.labels),
    `selector ${JSON.stringify(sm.spec.selector)} does not match Service labels ` +
    JSON.stringify(svc.metadata.labels));
  assert(!sm.spec.selector.matchExpressions, 'matchExpressions not checked here: keep matchLabels');
  const names = svc.spec.ports.map((p) => p.name);
  for (const ep of sm.spec.endpoints) {
    assert(names.includes(ep.port), `endpoint port ${ep.port} not in Service ports ${names}`);
  }
  assert(names.includes('metrics'), 'the Service port must be named metrics');
  assert(!sm.spec.namespaceSelector, 'same namespace as the Service: no namespaceSelector');
});

check('DaemonSet references exist: ServiceAccount, ConfigMap, probe and mount names', () => {
  assert.strictEqual(pod.serviceAccountName, one('ServiceAccount').metadata.name);
  const cm = one('ConfigMap');
  const cmVolume = pod.volumes.find((v) => v.configMap);
  assert.strictEqual(cmVolume.configMap.name, cm.metadata.name, 'config volume -> ConfigMap');
  const portNames = container.ports.map((p) => p.name);
  for (const probe of [container.livenessProbe, container.readinessProbe]) {
    assert(portNames.includes(probe.httpGet.port), `probe port ${probe.httpGet.port}`);
  }
  assert.strictEqual(container.livenessProbe.httpGet.path, '/-/healthy');
  assert.strictEqual(container.readinessProbe.httpGet.path, '/-/ready');
  const volumeNames = pod.volumes.map((v) => v.name);
  for (const m of container.volumeMounts) assert(volumeNames.includes(m.name), m.name);
  const configMount = container.volumeMounts.find((m) => m.name === cmVolume.name);
  const configKey = Object.keys(cm.data)[0];
  assert(container.args.includes(`--config.file=${configMount.mountPath}/${configKey}`),
    `--config.file does not point at ${configMount.mountPath}/${configKey}`);
});

check('DaemonSet: host namespaces, read-only host /proc, every node, small and locked down', () => {
  assert.strictEqual(pod.hostNetwork, true, 'hostNetwork');
  assert.strictEqual(pod.hostPID, true, 'hostPID');
  assert.strictEqual(pod.dnsPolicy, 'ClusterFirstWithHostNet');
  assert.strictEqual(pod.automountServiceAccountToken, false);
  assert.strictEqual(one('ServiceAccount').automountServiceAccountToken, false);
  assert.strictEqual(pod.priorityClassName, 'system-node-critical');
  assert(pod.tolerations.some((t) => t.operator === 'Exists' && !t.key && !t.effect),
    'a toleration with operator Exists and no key/effect (every taint)');
  const procVolume = pod.volumes.find((v) => v.hostPath && v.hostPath.path === '/proc');
  assert(procVolume, 'hostPath /proc volume');
  const procMount = container.volumeMounts.find((m) => m.name === procVolume.name);
  assert.strictEqual(procMount.readOnly, true, '/proc mounted read-only');
  assert(container.args.includes(`--path.procfs=${procMount.mountPath}`), '--path.procfs');
  const sc = container.securityContext;
  assert.strictEqual(sc.readOnlyRootFilesystem, true);
  assert.strictEqual(sc.allowPrivilegeEscalation, false);
  assert.notStrictEqual(sc.privileged, true);
  assert.deepStrictEqual(sc.capabilities.drop, ['ALL']);
  assert.deepStrictEqual([...sc.capabilities.add].sort(), ['DAC_READ_SEARCH', 'SETGID', 'SETUID', 'SYS_PTRACE']);
  for (const kind of ['requests', 'limits']) {
    assert(container.resources[kind].cpu && container.resources[kind].memory, kind);
  }
  assert.strictEqual(ds.spec.updateStrategy.type, 'RollingUpdate');
  assert(ds.spec.updateStrategy.rollingUpdate.maxUnavailable, 'maxUnavailable');
  const metricsPort = container.ports.find((p) => p.name === 'metrics');
  assert.strictEqual(metricsPort.containerPort, 12908, 'default port 12908');
  const listen = container.args.find((a) => a.startsWith('--web.listen-address='));
  assert(!listen || listen.endsWith(':12908'), `${listen} does not match containerPort`);
});

check('PrometheusRule groups equal deploy/prometheus/port_exporter.rules.yml', () => {
  const shipped = yaml.load(fs.readFileSync(rulesPath, 'utf8'));
  const rule = one('PrometheusRule');
  assert.deepStrictEqual(rule.spec, { groups: shipped.groups });
});

// For the shell part of the test.
const cm = one('ConfigMap');
for (const [key, value] of Object.entries(cm.data)) {
  fs.writeFileSync(path.join(outDir, `configmap-${key}`), value);
}
fs.writeFileSync(path.join(outDir, 'prometheusrule-groups.yml'),
  yaml.dump({ groups: one('PrometheusRule').spec.groups }, { lineWidth: -1 }));

if (failures.length) {
  console.log(`${failures.length} manifest check(s) failed: ${failures.join('; ')}`);
  process.exit(1);
}
