// SPDX-License-Identifier: Apache-2.0
// Checks deploy/grafana/port_exporter.json: the structure Grafana needs to import it, then
// every variable query and every panel query against a live Prometheus that scrapes a live
// port_exporter (started by dashboard.test.sh). Each panel query must return data.
// Usage: node dashboard-check.js DASHBOARD.json PROMETHEUS_URL JOB INSTANCE PORT
// No npm packages: node >= 18 (fetch).
'use strict';

const fs = require('fs');
const assert = require('assert');

const [dashboardPath, promUrl, job, instance, port] = process.argv.slice(2);
if (!port) {
  console.error('usage: node dashboard-check.js DASHBOARD.json PROMETHEUS_URL JOB INSTANCE PORT');
  process.exit(2);
}

const failures = [];
async function check(what, fn) {
  try {
    const note = await fn();
    console.log(`ok   ${what}${note ? `: ${note}` : ''}`);
  } catch (err) {
    failures.push(what);
    console.log(`FAIL ${what}\n     ${String(err.message || err).replace(/\n/g, '\n     ')}`);
  }
}

const dashboard = JSON.parse(fs.readFileSync(dashboardPath, 'utf8'));
const allPanels = (dashboard.panels || []).flatMap((p) => [p, ...(p.panels || [])]);
const panels = allPanels.filter((p) => p.type !== 'row');
const variables = dashboard.templating.list;
const findPanel = (title) => {
  const p = panels.find((x) => x.title === title);
  assert(p, `no panel titled "${title}"`);
  return p;
};

// Grafana's substitution for the values the test uses (single values: no regex joining).
const values = { job, instance, port, __rate_interval: '1m' };
function substitute(expr) {
  const out = expr.replace(/\$\{?(\w+)\}?/g, (m, name) => {
    assert(name in values, `unknown variable ${m} in ${expr}`);
    return values[name];
  });
  return out;
}

async function query(expr) {
  const res = await fetch(`${promUrl}/api/v1/query`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ query: expr }),
  });
  const body = await res.json();
  assert.strictEqual(body.status, 'success', `${expr}: ${body.error || res.status}`);
  return body.data.result;
}

async function main() {
  await check('structure: schemaVersion 39, uid, title, unique panel ids, grid positions', () => {
    assert.strictEqual(dashboard.schemaVersion, 39);
    assert.strictEqual(dashboard.uid, 'port-exporter');
    assert(dashboard.title);
    assert.strictEqual(dashboard.id, null, 'id must be null for import');
    const ids = allPanels.map((p) => p.id);
    assert.strictEqual(new Set(ids).size, ids.length, `duplicate panel ids ${ids}`);
    for (const p of allPanels) {
      const g = p.gridPos;
      assert(g && g.w > 0 && g.h > 0 && g.x >= 0 && g.x + g.w <= 24, `gridPos of "${p.title}"`);
    }
    return `${panels.length} panels`;
  });

  await check('variables: datasource (prometheus), job, instance, port', () => {
    const byName = Object.fromEntries(variables.map((v) => [v.name, v]));
    assert.strictEqual(byName.datasource.type, 'datasource');
    assert.strictEqual(byName.datasource.query, 'prometheus');
    for (const name of ['job', 'instance', 'port']) {
      assert.strictEqual(byName[name].type, 'query', name);
      assert.strictEqual(byName[name].datasource.uid, '${datasource}', name);
      assert.match(byName[name].definition, /^label_values\(/, name);
    }
  });

  await check('every panel and target uses the $datasource variable', () => {
    for (const p of panels) {
      assert.deepStrictEqual(p.datasource, { type: 'prometheus', uid: '${datasource}' }, p.title);
      assert(p.targets && p.targets.length, `"${p.title}" has no targets`);
      for (const t of p.targets) assert.strictEqual(t.datasource.uid, '${datasource}', p.title);
    }
  });

  await check('required panels and their kinds', () => {
    const unexpected = findPanel('Unexpected listeners now');
    assert.strictEqual(unexpected.type, 'stat');
    assert.match(unexpected.targets[0].expr, /^sum\(port_unexpected_listeners\{/);
    const steps = unexpected.fieldConfig.defaults.thresholds.steps;
    assert(steps.some((s) => s.color === 'red' && s.value === 1), 'red from 1 (> 0)');
    assert.strictEqual(steps[0].color, 'green');
    const who = findPanel('Who listens');
    assert.strictEqual(who.type, 'table');
    assert.strictEqual(who.targets[0].instant, true);
    assert.strictEqual(who.targets[0].format, 'table');
    assert.match(who.targets[0].expr, /^port_listener_info\{/);
    const wanted = {
      'Listeners per port': 'port_listeners', 'Connections by state and direction': 'port_connections',
      'Missing expected services': 'port_missing_listeners',
      'Collection duration': 'port_exporter_collect_duration_seconds',
      'Collection errors': 'rate(port_exporter_collect_errors_total',
      'Age of the last successful collection': 'time() - port_exporter_last_collect_success_timestamp_seconds',
      'Scrape duration': 'scrape_duration_seconds',
    };
    for (const [title, metric] of Object.entries(wanted)) {
      assert(findPanel(title).targets[0].expr.includes(metric), `"${title}" must query ${metric}`);
    }
  });

  // label_values(METRIC{...}, LABEL): the test's value must be among the values found.
  for (const v of variables.filter((x) => x.type === 'query')) {
    await check(`variable $${v.name}: ${v.definition}`, async () => {
      const m = v.definition.match(/^label_values\((.*),\s*(\w+)\)$/);
      assert(m, 'expected label_values(metric, label)');
      const series = await query(substitute(m[1]));
      const found = [...new Set(series.map((s) => s.metric[m[2]]).filter(Boolean))];
      assert(found.includes(values[v.name]), `"${values[v.name]}" not in ${JSON.stringify(found)}`);
      return JSON.stringify(found);
    });
  }

  for (const p of panels) {
    for (const t of p.targets) {
      const expr = substitute(t.expr);
      await check(`panel "${p.title}" ${t.refId}`, async () => {
        const result = await query(expr);
        console.log(`     query: ${expr}\n     result: ${result.length} series` +
          (result.length ? `, e.g. ${JSON.stringify(result[0].metric)} = ${result[0].value[1]}` : ''));
        assert(result.length > 0, 'empty result: the panel would show "No data"');
      });
    }
  }

  if (failures.length) {
    console.log(`${failures.length} dashboard check(s) failed`);
    process.exit(1);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
