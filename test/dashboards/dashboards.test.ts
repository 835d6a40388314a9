import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { v1 } from '@datadog/datadog-api-client';
import request from 'supertest';
import { ManualClock } from '../../src/clock.js';
import { Links } from '../../src/links.js';
import { alertEvent, createMessage, DATADOG_METRIC_NAMES, DATADOG_METRICS, type DatadogMetricName } from '../../src/notify/index.js';
import { makeAlert } from '../notify/support.js';
import { startTestService, type TestService } from '../support/service.js';
import { expandMacros, type Selection } from './grafana-macros.js';
import { attrs, EVENTS, expected, HOUR, MIN, NOW, RULES, SPAN_TENANT, SPANS } from './seed.js';

// The dashboards in dashboards/ are data; these tests hold them to what the code emits
// and stores: Datadog queries against DATADOG_METRICS and the alert events' tags, and
// every Grafana SQL query against a migrated embedded store with data in it.

const DASHBOARDS = fileURLToPath(new URL('../../dashboards/', import.meta.url));
type Json = Record<string, any>;
const readJson = (file: string): Json => JSON.parse(readFileSync(path.join(DASHBOARDS, file), 'utf8'));

// ── Datadog ──────────────────────────────────────────────────────────────────

/** Every widget, including those inside groups. */
function allWidgets(widgets: Json[]): Json[] {
  return widgets.flatMap((w) => [w, ...(w.definition?.type === 'group' ? allWidgets(w.definition.widgets ?? []) : [])]);
}

/** A metric query as Datadog writes it: `sum:name{filters} by {tags}.as_count()`. */
const METRIC_QUERY = /^(?<agg>avg|sum|min|max):(?<metric>[\w.]+)\{(?<filter>[^}]*)\}(?:\s+by\s+\{(?<by>[^}]*)\})?(?<mods>(?:\.\w+\(\))*)$/;

interface MetricQuery {
  widget: string;
  query: string;
}

/** Metric queries of one widget: the legacy `q` and the formulas-and-functions `queries`. */
function metricQueries(widget: Json): MetricQuery[] {
  const title = widget.definition.title ?? widget.definition.type;
  return (widget.definition.requests ?? []).flatMap((r: Json) => [
    ...(typeof r.q === 'string' ? [{ widget: title, query: r.q }] : []),
    ...(Array.isArray(r.queries) ? r.queries.filter((q: Json) => q.data_source === 'metrics').map((q: Json) => ({ widget: title, query: q.query })) : []),
  ]);
}

/** Event searches: overlays on timeseries, event timelines and streams, event lists. */
function eventQueries(widget: Json): string[] {
  const d = widget.definition;
  const out: string[] = [];
  for (const e of d.events ?? []) out.push(e.q);
  if (d.type === 'event_timeline' || d.type === 'event_stream') out.push(d.query);
  if (d.type === 'list_stream') for (const r of d.requests ?? []) if (r.query?.data_source === 'event_stream') out.push(r.query.query_string);
  return out;
}

/** Walks what the official client deserialised: any part it could not map is a shape the API would refuse or ignore. */
function schemaProblems(value: unknown, at: string, out: string[] = []): string[] {
  if (value === null || typeof value !== 'object') return out;
  const o = value as Json;
  if (o.constructor?.name === 'UnparsedObject') out.push(`${at}: not a known shape: ${JSON.stringify(o).slice(0, 160)}`);
  if (o.additionalProperties && Object.keys(o.additionalProperties).length > 0) out.push(`${at}: unknown fields ${Object.keys(o.additionalProperties).join(', ')}`);
  for (const [k, v] of Object.entries(o)) if (k !== 'additionalProperties') schemaProblems(v, `${at}.${k}`, out);
  return out;
}

describe('dashboards/datadog.json', () => {
  const dashboard = readJson('datadog.json');
  const widgets = allWidgets(dashboard.widgets);
  const variables = new Map<string, string>(dashboard.template_variables.map((v: Json) => [v.name, v.prefix]));

  test('is a dashboard the Datadog API accepts (the official client maps every field)', () => {
    assert.equal(typeof dashboard.title, 'string');
    assert.equal(dashboard.layout_type, 'ordered');
    const parsed = v1.ObjectSerializer.deserialize(dashboard, 'Dashboard', '');
    assert.deepEqual(schemaProblems(parsed, '$'), []);
    assert.ok(widgets.length >= 8, 'a dashboard worth importing');
  });

  test('has tenant and integration template variables on tags syncwatch sends', () => {
    assert.equal(variables.get('tenant'), 'tenant');
    assert.equal(variables.get('integration'), 'integration');
    for (const [name, prefix] of variables) {
      assert.ok(DATADOG_METRIC_NAMES.some((m) => (DATADOG_METRICS[m].tags as readonly string[]).includes(prefix)), `$${name}: no metric has a ${prefix} tag`);
    }
  });

  test('queries only metrics syncwatch sends, by and filtered on their own tags, with the right aggregation', () => {
    const queries = widgets.flatMap(metricQueries);
    assert.ok(queries.length > 0);
    const used = new Set<string>();
    for (const { widget, query } of queries) {
      const m = METRIC_QUERY.exec(query);
      assert.ok(m?.groups, `${widget}: cannot read the metric query ${query}`);
      const { agg, metric, filter, by, mods } = m.groups;
      assert.ok((DATADOG_METRIC_NAMES as string[]).includes(metric), `${widget}: ${metric} is not a metric syncwatch sends (${DATADOG_METRIC_NAMES.join(', ')})`);
      const spec = DATADOG_METRICS[metric as DatadogMetricName];
      const tags = spec.tags as readonly string[];
      used.add(metric);
      for (const item of filter.split(',').map((s) => s.trim())) {
        if (item === '*' || item === '') continue;
        const tag = item.startsWith('$') ? variables.get(item.slice(1)) : item.replace(/^!/, '').split(':')[0];
        assert.ok(tag, `${widget}: ${item} is not a template variable`);
        assert.ok(tags.includes(tag), `${widget}: ${metric} has no ${tag} tag (filter ${item}); it has ${tags.join(', ')}`);
      }
      for (const tag of (by ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
        assert.ok(tags.includes(tag), `${widget}: ${metric} has no ${tag} tag to group by; it has ${tags.join(', ')}`);
      }
      if (spec.type === 'count') {
        // Count points hold per-minute totals: as_count() sums them instead of averaging them as a rate.
        assert.equal(agg, 'sum', `${widget}: ${metric} is a count; sum it across tags`);
        assert.match(mods, /\.as_count\(\)/, `${widget}: ${metric} is a count; use .as_count()`);
      } else {
        // A gauge of health levels (0…3): summing levels across connections means nothing.
        assert.notEqual(agg, 'sum', `${widget}: ${metric} is a gauge of levels; use max, min or avg`);
        assert.doesNotMatch(mods, /\.as_(count|rate)\(\)/, `${widget}: ${metric} is a gauge`);
      }
    }
    assert.deepEqual([...DATADOG_METRIC_NAMES].filter((m) => !used.has(m)), [], 'every metric syncwatch sends is on the dashboard');
  });

  test('formulas refer only to queries of their own request', () => {
    for (const w of widgets) {
      for (const r of w.definition.requests ?? []) {
        const names = new Set((r.queries ?? []).map((q: Json) => q.name));
        for (const f of r.formulas ?? []) {
          const refs = [...String(f.formula).matchAll(/\b([A-Za-z_]\w*)\b(?!\s*\()/g)].map((x) => x[1]);
          for (const ref of refs) assert.ok(names.has(ref), `${w.definition.title}: formula ${f.formula} names ${ref}, not a query`);
        }
      }
    }
  });

  test('event widgets search on tags the Datadog alert events carry', () => {
    const alert = makeAlert();
    const message = createMessage({ type: 'alert.firing', alerts: [alert], audience: 'operator', tenant: null, groupKey: 'g', createdAt: Date.now() });
    const sent = alertEvent(alert, message, new Links('https://watch.example.com', null, new ManualClock())).tags ?? [];
    const sentKeys = new Set(sent.map((t) => t.slice(0, t.indexOf(':'))));
    const searches = widgets.flatMap(eventQueries);
    assert.ok(searches.length > 0, 'the dashboard shows syncwatch alert events');
    for (const search of searches) {
      assert.ok(search.split(/\s+/).some((t) => sent.includes(t)), `${search}: matches no tag every alert event has (${sent.join(' ')})`);
      for (const token of search.split(/\s+/).filter(Boolean)) {
        const key = token.startsWith('$') ? variables.get(token.slice(1)) : token.split(':')[0];
        assert.ok(key && sentKeys.has(key), `${search}: alert events have no ${key ?? token} tag (they have ${[...sentKeys].join(', ')})`);
      }
    }
  });
});

// ── Grafana over ClickHouse ──────────────────────────────────────────────────

const DS_TYPE = 'grafana-clickhouse-datasource';

/** Every panel, including those inside collapsed rows. */
function allPanels(panels: Json[]): Json[] {
  return panels.flatMap((p) => [p, ...(p.type === 'row' ? allPanels(p.panels ?? []) : [])]);
}

describe('dashboards/grafana-clickhouse.json', () => {
  const dashboard = readJson('grafana-clickhouse.json');
  const panels = allPanels(dashboard.panels).filter((p) => p.type !== 'row');
  const variables: Json[] = dashboard.templating.list;
  const queryVariables = variables.filter((v) => v.type === 'query');
  const panel = (title: string) => {
    const p = panels.find((x) => x.title === title);
    assert.ok(p, `no panel titled "${title}"`);
    return p;
  };

  let svc: TestService;
  let rulesDir: string;
  const run = async (sql: string, s: Selection): Promise<Json[]> => svc.driver.query({ name: 'dashboard.panel', sql: expandMacros(sql, s) });
  const range = (vars: Record<string, string[]>): Selection => ({ from: NOW - 2 * 24 * HOUR, to: NOW + 5 * MIN, intervalSeconds: 60, vars });
  let all: Selection;

  before(async () => {
    rulesDir = mkdtempSync(path.join(tmpdir(), 'syncwatch-dash-rules-'));
    writeFileSync(path.join(rulesDir, 'rules.yaml'), RULES);
    svc = await startTestService({ SYNCWATCH_ALERT_RULES: rulesDir });
    const res = await request(svc.server).post('/v1/events').send(EVENTS);
    assert.equal(res.status, 202);
    assert.deepEqual(res.body.rejected, []);
    const traces = { resourceSpans: [{ resource: { attributes: attrs(SPAN_TENANT) }, scopeSpans: [{ scope: { name: 'runner' }, spans: SPANS }] }] };
    const spans = await request(svc.server).post('/v1/traces').set('Content-Type', 'application/json').send(JSON.stringify(traces));
    assert.equal(spans.status, 200, JSON.stringify(spans.body));
    await svc.ingest.batcher.flush();
    // The infra failure fires the rule; a test notification through an unconfigured channel is a dead letter.
    await svc.alerting.engine?.tick(Date.now());
    const sent = await request(svc.server).post('/v1/notifications/test').send({ channel: 'datadog' });
    assert.equal(sent.status, 200);

    const tenants = (await run(queryVariables.find((v) => v.name === 'tenant')!.query, range({}))).map((r) => String(r.tenant));
    const integrations = (await run(queryVariables.find((v) => v.name === 'integration')!.query, range({ tenant: tenants }))).map((r) => String(r.integration));
    all = range({ tenant: tenants, integration: integrations });
  });
  after(async () => {
    await svc?.stop();
    rmSync(rulesDir, { recursive: true, force: true });
  });

  test('is a Grafana dashboard over the official ClickHouse plugin, chosen by a data source variable', () => {
    assert.ok(dashboard.schemaVersion >= 36);
    assert.deepEqual(variables.find((v) => v.name === 'datasource'), { ...variables.find((v) => v.name === 'datasource'), type: 'datasource', query: DS_TYPE });
    assert.deepEqual(queryVariables.map((v) => v.name), ['tenant', 'integration']);
    for (const v of queryVariables) {
      assert.deepEqual(v.datasource, { type: DS_TYPE, uid: '${datasource}' });
      assert.equal(v.definition, v.query);
      assert.ok(v.multi && v.includeAll, `${v.name}: multi-value with All`);
    }
    const ids = panels.map((p) => p.id);
    assert.equal(new Set(ids).size, ids.length, 'panel ids are unique');
    assert.ok(panels.length >= 15);
    for (const p of panels) {
      assert.deepEqual(p.datasource, { type: DS_TYPE, uid: '${datasource}' }, p.title);
      assert.ok(p.gridPos && p.gridPos.w > 0 && p.gridPos.h > 0, `${p.title}: has a place`);
      assert.ok(p.description, `${p.title}: says what it shows`);
      assert.equal(p.targets.length, 1, p.title);
      const [t] = p.targets;
      assert.equal(t.editorType, 'sql', p.title);
      assert.ok([0, 1].includes(t.format), `${p.title}: format 0 (time series) or 1 (table)`);
      assert.equal(t.queryType, t.format === 0 ? 'timeseries' : 'table', p.title);
      if (t.format === 0) assert.match(t.rawSql, /^SELECT [^\n]+ AS time,/, `${p.title}: a time series selects its time column first`);
      // Webhook secrets and addresses live there: a dashboard never reads them.
      assert.doesNotMatch(t.rawSql, /\btarget\b|tenant_subscriptions/, `${p.title}: reads notification targets`);
    }
  });

  test('the template variables list the tenants and integrations that have data', async () => {
    assert.deepEqual(all.vars.tenant, ['acme', 'globex', 'initech']);
    assert.deepEqual(all.vars.integration, ['hubspot', 'netsuite', 'salesforce']);
    const acme = await run(queryVariables.find((v) => v.name === 'integration')!.query, range({ tenant: ['acme'] }));
    assert.deepEqual(acme.map((r) => r.integration), ['salesforce']);
  });

  test('every panel query runs on a migrated store, for all tenants and for one', async () => {
    const acme = range({ tenant: ['acme'], integration: ['salesforce'] });
    for (const p of panels) {
      for (const s of [all, acme]) {
        await assert.doesNotReject(run(p.targets[0].rawSql, s), `${p.title} (${s.vars.tenant.join(',')})`);
      }
    }
  });

  test('records over time add up to the records sent, per tenant too', async () => {
    const sql = panel('Records synced, failed and skipped').targets[0].rawSql;
    const sum = (rows: Json[], k: string) => rows.reduce((n, r) => n + Number(r[k]), 0);
    const rows = await run(sql, all);
    assert.ok(rows.length > 1, 'records land in several time buckets');
    const want = expected();
    assert.ok(want.synced > 0 && want.failed > 0);
    assert.deepEqual({ synced: sum(rows, 'synced'), failed: sum(rows, 'failed'), skipped: sum(rows, 'skipped') }, { synced: want.synced, failed: want.failed, skipped: want.skipped });
    const acme = await run(sql, range({ tenant: ['acme'], integration: all.vars.integration }));
    const wantAcme = expected('acme');
    assert.deepEqual({ synced: sum(acme, 'synced'), failed: sum(acme, 'failed') }, { synced: wantAcme.synced, failed: wantAcme.failed });
    for (const r of rows) assert.ok(!Number.isNaN(Date.parse(String(r.time).replace(' ', 'T') + 'Z')), `time is a time: ${r.time}`);
  });

  test('failures by category count every failed record and run in its category', async () => {
    const rows = await run(panel('Failures by category').targets[0].rawSql, all);
    const got: Record<string, number> = {};
    for (const r of rows) got[r.category] = (got[r.category] ?? 0) + Number(r.failures);
    assert.deepEqual(got, expected().byCategory);
    assert.deepEqual(Object.keys(got).sort(), ['data', 'endpoint', 'infra']);

    const codes = await run(panel('Top failure codes').targets[0].rawSql, all);
    const rateLimited = codes.find((r) => r.code === 'rate_limited');
    assert.equal(Number(rateLimited?.failure_count), 2);
    assert.equal(Number(rateLimited?.affected_records_or_runs), 2);
  });

  test('runs, record failures and value show what was sent', async () => {
    const failedRuns = await run(panel('Recent failed runs').targets[0].rawSql, all);
    assert.deepEqual(failedRuns.map((r) => [r.run, r.result, r.category, r.code]), [['a-2', 'failed', 'infra', 'crash']]);
    const latest = await run(panel('Latest record failures').targets[0].rawSql, all);
    assert.deepEqual(latest.map((r) => r.record_id).sort(), ['C-3', 'C-4', 'CT-2', 'ORD-4']);
    const failingNow = await run(panel('Records failing now').targets[0].rawSql, all);
    assert.deepEqual(Object.fromEntries(failingNow.map((r) => [`${r.tenant}/${r.integration}`, Number(r.records_failing)])), { 'acme/salesforce': 2, 'globex/hubspot': 2 });

    const value = await run(panel('Value moved per currency').targets[0].rawSql, all);
    const got: Record<string, number> = {};
    for (const r of value) got[r.record_currency] = (got[r.record_currency] ?? 0) + Number(r.value_moved);
    assert.deepEqual(got, expected().value);

    const spans = await run(panel('Spans with errors by name').targets[0].rawSql, all);
    assert.deepEqual(spans.map((r) => [r.service, r.span_name, Number(r.spans), Number(r.errors)]), [['contacts-runner', 'record contact', 2, 1]]);
  });

  test('connections and adoption reflect lifecycle events, runs and auth', async () => {
    const connections = await run(panel('Connections: last run and last success').targets[0].rawSql, all);
    const status = Object.fromEntries(connections.map((r) => [`${r.tenant}/${r.integration}`, r.latest_status]));
    // initech only viewed netsuite: not a connection yet (no lifecycle state, no runs).
    assert.deepEqual(status, { 'acme/salesforce': 'auth expired', 'globex/hubspot': 'disabled' });
    const byStatus = await run(panel('Connections by latest status').targets[0].rawSql, all);
    assert.equal(byStatus.reduce((n, r) => n + Number(r.connections), 0), connections.length);

    const funnel = await run(panel('Adoption funnel').targets[0].rawSql, all);
    assert.deepEqual(funnel.map((r) => [r.step, Number(r.connections)]), [
      ['viewed', 3],
      ['install_started', 2],
      ['authorized', 2],
      ['configured', 2],
      ['enabled', 2],
      ['first_successful_sync', 2],
    ]);
    const churn = await run(panel('Installs and churn per integration').targets[0].rawSql, all);
    assert.deepEqual(Object.fromEntries(churn.map((r) => [r.integration, [Number(r.enabled), Number(r.churned)]])), { salesforce: [1, 0], hubspot: [0, 1] });
  });

  test('alert and delivery panels agree with the API', async () => {
    const firing = await run(panel('Firing alerts').targets[0].rawSql, all);
    const api = (await request(svc.server).get('/v1/alerts').query({ status: 'firing' })).body.alerts as Json[];
    assert.deepEqual(firing.map((r) => [r.alert_rule, r.alert_tenant, r.alert_integration]), api.map((a) => [a.rule, a.tenant, a.integration]));
    assert.deepEqual(firing.map((r) => r.alert_rule), ['dashboard-infra']);

    const dead = await run(panel('Dead letters').targets[0].rawSql, all);
    const apiDead = (await request(svc.server).get('/v1/notifications').query({ status: 'dead', limit: 500 })).body.deliveries as Json[];
    assert.ok(apiDead.length > 0, 'the test notification through an unconfigured channel is dead');
    assert.deepEqual(dead.map((r) => r.delivery_id).sort(), apiDead.map((d) => d.id).sort());
    const byStatus = await run(panel('Notification deliveries by status').targets[0].rawSql, all);
    assert.equal(Number(byStatus.find((r) => r.delivery_status === 'dead')?.deliveries), apiDead.length);
  });
});
