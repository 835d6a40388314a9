import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, test } from 'node:test';
import { loadAlertRules, loadAlertsSettings, type Alert } from '../../src/alerts/index.js';
import { applyInhibition, inhibitionTargets } from '../../src/alerts/inhibit.js';

const SHIPPED = fileURLToPath(new URL('../../alert-rules', import.meta.url));
const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function rulesFrom(yaml: string) {
  const dir = mkdtempSync(path.join(tmpdir(), 'syncwatch-inhibit-'));
  dirs.push(dir);
  copyFileSync(path.join(SHIPPED, 'classification.yaml'), path.join(dir, 'classification.yaml'));
  writeFileSync(path.join(dir, 'rules.yaml'), yaml);
  return loadAlertRules(dir);
}

let n = 0;
function alert(rule: string, labels: Partial<Alert['labels']>, over: Partial<Alert> = {}): Alert {
  return {
    fingerprint: `fp-${++n}`,
    labels: { rule, severity: 'warning', category: 'endpoint', code: 'x', audience: ['operator'], tenant: 'acme', integration: 'hubspot', flow: 'contacts.sync', ...labels },
    summary: `${rule} summary`,
    action: '',
    records: [],
    valueAtRisk: null,
    status: 'firing',
    activeSince: 1000,
    firedAt: 1000,
    resolvedAt: null,
    clearSince: null,
    lastNotifiedAt: null,
    version: 1,
    ...over,
  };
}

describe('inhibition', () => {
  test('shipped defaults: the incident explains endpoint outages, rate limits, failed runs and staleness; an expired authorisation explains every failure and staleness of its connection; a crash its failed runs', () => {
    const targets = inhibitionTargets(loadAlertRules(SHIPPED));
    assert.deepEqual([...targets.get('partner-incident')!].sort(), ['consecutive-failed-runs', 'partner-endpoint-outage', 'rate-limited-sustained', 'stale-connection']);
    assert.deepEqual([...targets.get('auth-expired')!].sort(), ['consecutive-failed-runs', 'endpoint-auth-failures', 'partner-endpoint-outage', 'rate-limited-sustained', 'stale-connection']);
    assert.deepEqual([...targets.get('endpoint-auth-failures')!].sort(), ['consecutive-failed-runs', 'partner-endpoint-outage', 'rate-limited-sustained', 'stale-connection']);
    assert.deepEqual([...targets.get('infrastructure-failure')!].sort(), ['consecutive-failed-runs', 'stale-connection']);
    assert.equal(targets.has('data-failures'), false, 'a data failure explains nothing else');
  });

  test('`inhibits:` replaces the defaults, and an empty list turns inhibition off for that rule', () => {
    const rules = rulesFrom(`rules:
  - name: outage
    kind: partner_incident
    inhibits: [runs]
  - name: runs
    kind: consecutive_failed_runs
  - name: stale
    kind: stale
  - name: expired
    kind: event
    event: auth.expired
    resolve_on: [auth.refreshed]
    inhibits: []
`);
    const targets = inhibitionTargets(rules);
    assert.deepEqual([...targets.get('outage')!], ['runs']);
    assert.equal(targets.has('expired'), false);
  });

  test('a cause inhibits the symptoms of its own connection only, sets the cause on them, and lets go when a new episode starts after it resolved', () => {
    const rules = loadAlertRules(SHIPPED);
    const cause = alert('auth-expired', { tenant: 'acme', integration: 'quickbooks', flow: '', code: 'auth' });
    const mine = alert('consecutive-failed-runs', { tenant: 'acme', integration: 'quickbooks', flow: 'invoices.import' }, { activeSince: 2000 });
    const otherTenant = alert('consecutive-failed-runs', { tenant: 'globex', integration: 'quickbooks' });
    const otherIntegration = alert('consecutive-failed-runs', { tenant: 'acme', integration: 'xero' });
    const data = alert('data-failures', { tenant: 'acme', integration: 'quickbooks', category: 'data' });
    const alerts = new Map([cause, mine, otherTenant, otherIntegration, data].map((a) => [a.fingerprint, a]));
    const changed = applyInhibition(alerts, rules);
    assert.deepEqual(changed.map((a) => a.fingerprint), [mine.fingerprint]);
    assert.deepEqual(alerts.get(mine.fingerprint)!.inhibitedBy, { rule: 'auth-expired', fingerprint: cause.fingerprint, summary: 'auth-expired summary' });
    assert.equal(alerts.get(mine.fingerprint)!.version, 2);
    assert.deepEqual(applyInhibition(alerts, rules), [], 'nothing changes when nothing changed');

    // The cause resolves: the symptom that began during it stays explained; one that begins later is not.
    alerts.set(cause.fingerprint, { ...cause, status: 'resolved', resolvedAt: 5000 });
    assert.deepEqual(applyInhibition(alerts, rules), []);
    alerts.set(mine.fingerprint, { ...alerts.get(mine.fingerprint)!, activeSince: 6000 });
    assert.deepEqual(applyInhibition(alerts, rules).map((a) => a.inhibitedBy), [undefined]);
  });

  test("an incident's operator alert explains the symptoms of the tenants it lists, not of others", () => {
    const rules = loadAlertRules(SHIPPED);
    const incident = alert('partner-incident', { tenant: '', flow: '', code: 'partner_incident' }, { incident: { since: 900, tenants: ['acme', 'globex', 'initech'], connections: [], activeConnections: 10, failedRecords: 0 } });
    const listed = alert('stale-connection', { tenant: 'globex' });
    const unlisted = alert('stale-connection', { tenant: 'umbrella' });
    const alerts = new Map([incident, listed, unlisted].map((a) => [a.fingerprint, a]));
    assert.deepEqual(applyInhibition(alerts, rules).map((a) => a.labels.tenant), ['globex']);
  });

  test('alerts.inhibit_rules (Alertmanager style): a firing source holds back targets with equal labels, beside the rules\' own `inhibits:`', () => {
    const settings = loadAlertsSettings({
      file: {
        alerts: {
          inhibit_rules: [
            { source_matchers: ['alertname="vendor-maintenance"'], target_matchers: ['rule=~"data-failures|stale-connection"', 'severity!="critical"'], equal: ['integration'] },
            { source_matchers: ['rule="partner-incident"'], target_matchers: ['rule="volume-drop"'], equal: ['integration', 'tenant'] },
          ],
        },
      },
      smtp: { url: undefined, from: 'syncwatch@example', opsEmail: undefined },
      datadog: { apiKey: undefined, site: 'datadoghq.com' },
    } as never);
    const rules = loadAlertRules(SHIPPED);
    const maintenance = alert('vendor-maintenance', { tenant: 'acme', integration: 'xero', flow: '' });
    const data = alert('data-failures', { tenant: 'globex', integration: 'xero', category: 'data' });
    const critical = alert('stale-connection', { tenant: 'globex', integration: 'xero', severity: 'critical' });
    const elsewhere = alert('data-failures', { tenant: 'globex', integration: 'hubspot', category: 'data' });
    const incident = alert('partner-incident', { tenant: '', integration: 'hubspot', flow: '' }, { incident: { since: 900, tenants: ['acme'], connections: [], activeConnections: 4, failedRecords: 0 } });
    const drop = alert('volume-drop', { tenant: 'acme', integration: 'hubspot' });
    const otherDrop = alert('volume-drop', { tenant: 'globex', integration: 'hubspot' });
    const alerts = new Map([maintenance, data, critical, elsewhere, incident, drop, otherDrop].map((a) => [a.fingerprint, a]));
    const changed = applyInhibition(alerts, rules, settings.inhibitRules);
    assert.deepEqual(changed.map((a) => a.fingerprint).sort(), [data.fingerprint, drop.fingerprint].sort());
    assert.equal(alerts.get(data.fingerprint)!.inhibitedBy?.rule, 'vendor-maintenance');
    assert.equal(alerts.get(drop.fingerprint)!.inhibitedBy?.rule, 'partner-incident', "the incident's tenants stand for its tenant label");
    // Without the section only the rules' own inhibition applies: none of these.
    const plain = new Map([maintenance, data, incident, drop].map((a) => [a.fingerprint, { ...a, version: 1 }]));
    assert.deepEqual(applyInhibition(plain, rules), []);
    // The source stops firing: its targets are let go.
    alerts.set(maintenance.fingerprint, { ...maintenance, status: 'resolved', resolvedAt: 5000 });
    assert.deepEqual(applyInhibition(alerts, rules, settings.inhibitRules).map((a) => [a.fingerprint, a.inhibitedBy]), [[data.fingerprint, undefined]]);
  });

  test('alerts.inhibit_rules: a bad matcher, label or regular expression is refused at start with its path and how to write it', () => {
    const load = (rule: unknown) => () =>
      loadAlertsSettings({ file: { alerts: { inhibit_rules: [rule] } }, smtp: { url: undefined, from: 'x@example', opsEmail: undefined }, datadog: { apiKey: undefined, site: 'datadoghq.com' } } as never);
    assert.throws(load({ source_matchers: ['rule partner-incident'], target_matchers: ['rule="x"'] }), /alerts\.inhibit_rules\.0\.source_matchers\.0: invalid matcher "rule partner-incident": write label="value"/);
    assert.throws(load({ source_matchers: ['colour="red"'], target_matchers: ['rule="x"'] }), /unknown label "colour"; use one of rule, severity/);
    assert.throws(load({ source_matchers: ['rule="a"'], target_matchers: ['rule=~"(a"'] }), /target_matchers\.0: invalid matcher .*not a valid regular expression/);
    assert.throws(load({ source_matchers: [], target_matchers: ['rule="x"'] }), /give at least one source matcher/);
    assert.throws(load({ source_matchers: ['rule="a"'], target_matchers: ['rule="x"'], equal: ['colour'] }), /alerts\.inhibit_rules\.0\.equal\.0/);
    assert.throws(load({ source_matchers: ['rule="a"'], target_matchers: ['rule="x"'], source_match: { rule: 'a' } }), /alerts\.inhibit_rules\.0: Unrecognized key/);
  });
});
