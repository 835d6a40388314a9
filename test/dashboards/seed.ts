// The data the Grafana dashboard test feeds a fresh syncwatch through its public API, and
// the figures the panels must show for it, derived from what is sent (not written down).

type Json = Record<string, any>;

export const MIN = 60_000;
export const HOUR = 60 * MIN;
export const NOW = Math.floor(Date.now() / MIN) * MIN;
const iso = (ms: number) => new Date(ms).toISOString();

// The world the panels look at: two tenants, runs with synced, failed and skipped records
// (failures of every category), values in two currencies, a set-up funnel, a churned and
// an expired connection, spans from an instrumented runner, an alert and a dead letter.
const at = (minutesAgo: number) => iso(NOW - minutesAgo * MIN);
export const EVENTS: Json[] = [
  ...['viewed', 'install_started', 'authorized', 'configured', 'enabled'].map((step, i) => ({ type: `integration.${step}`, tenant: 'acme', integration: 'salesforce', time: at(400 - i * 10) })),
  ...['viewed', 'install_started', 'authorized', 'configured', 'enabled'].map((step, i) => ({ type: `integration.${step}`, tenant: 'globex', integration: 'hubspot', time: at(390 - i * 10) })),
  { type: 'integration.viewed', tenant: 'initech', integration: 'netsuite', time: at(380) },
  { type: 'integration.disabled', tenant: 'globex', integration: 'hubspot', time: at(20) },
  { type: 'auth.expired', tenant: 'acme', integration: 'salesforce', time: at(15) },

  { type: 'run.started', tenant: 'acme', integration: 'salesforce', flow: 'orders.export', run: 'a-1', time: at(300) },
  ...[1, 2, 3].map((n) => ({ type: 'record.synced', tenant: 'acme', integration: 'salesforce', flow: 'orders.export', run: 'a-1', time: at(299 - n), record: { id: `ORD-${n}`, type: 'order', value: 100 * n, currency: 'USD' } })),
  { type: 'record.failed', tenant: 'acme', integration: 'salesforce', flow: 'orders.export', run: 'a-1', time: at(295), record: { id: 'ORD-4', type: 'order', value: 40, currency: 'USD' }, error: { category: 'data', code: 'validation', message: 'email is required' } },
  { type: 'record.skipped', tenant: 'acme', integration: 'salesforce', flow: 'orders.export', run: 'a-1', time: at(294), record: { id: 'ORD-5', type: 'order' }, reason: 'unchanged' },
  { type: 'run.succeeded', tenant: 'acme', integration: 'salesforce', flow: 'orders.export', run: 'a-1', time: at(290) },

  { type: 'run.started', tenant: 'acme', integration: 'salesforce', flow: 'orders.export', run: 'a-2', time: at(10) },
  { type: 'run.failed', tenant: 'acme', integration: 'salesforce', flow: 'orders.export', run: 'a-2', time: at(5), error: { category: 'infra', code: 'crash', message: 'worker exited' } },

  { type: 'run.started', tenant: 'globex', integration: 'hubspot', flow: 'contacts.import', run: 'g-1', time: at(200) },
  ...[1, 2].map((n) => ({ type: 'record.synced', tenant: 'globex', integration: 'hubspot', flow: 'contacts.import', run: 'g-1', time: at(199 - n), record: { id: `C-${n}`, type: 'contact', value: 10.5 * n, currency: 'EUR' } })),
  ...[3, 4].map((n) => ({ type: 'record.failed', tenant: 'globex', integration: 'hubspot', flow: 'contacts.import', run: 'g-1', time: at(195 - n), record: { id: `C-${n}`, type: 'contact' }, error: { category: 'endpoint', code: 'rate_limited', message: 'Too Many Requests', http_status: 429 } })),
  { type: 'run.succeeded', tenant: 'globex', integration: 'hubspot', flow: 'contacts.import', run: 'g-1', time: at(190) },
].map((e, i) => ({ id: `dash-${i}`, ...e }));

// A run from a runner instrumented with OpenTelemetry: a run span, a synced and a failed record span.
const TRACE = '0af7651916cd43dd8448eb211c80319c';
const ns = (minutesAgo: number) => String(BigInt(NOW - minutesAgo * MIN) * 1_000_000n);
export const attrs = (o: Record<string, string | number>) =>
  Object.entries(o).map(([key, v]) => ({ key, value: typeof v === 'number' ? { doubleValue: v } : { stringValue: v } }));
const SPAN_RUN = { 'integration.flow': 'contacts.export', 'integration.run.id': 'a-span-1' };
export const SPANS: Json[] = [
  { spanId: 'b7ad6b7169203331', name: 'run contacts.export', startTimeUnixNano: ns(100), endTimeUnixNano: ns(90), attributes: attrs(SPAN_RUN), status: { code: 1 } },
  { spanId: 'b7ad6b7169203332', parentSpanId: 'b7ad6b7169203331', name: 'record contact', startTimeUnixNano: ns(99), endTimeUnixNano: ns(98), attributes: attrs({ ...SPAN_RUN, 'record.id': 'CT-1', 'record.type': 'contact', 'record.value': 25, 'record.currency': 'USD' }), status: { code: 1 } },
  { spanId: 'b7ad6b7169203333', parentSpanId: 'b7ad6b7169203331', name: 'record contact', startTimeUnixNano: ns(97), endTimeUnixNano: ns(96), attributes: attrs({ ...SPAN_RUN, 'record.id': 'CT-2', 'record.type': 'contact', 'failure.category': 'endpoint', 'failure.code': 'unavailable' }), status: { code: 2, message: 'Service Unavailable' } },
].map((s) => ({ traceId: TRACE, kind: 1, ...s }));
export const SPAN_TENANT = { 'service.name': 'contacts-runner', 'tenant.id': 'acme', 'integration.id': 'salesforce' };

/** Expected figures, derived from what was sent (events and spans alike). */
export function expected(tenant?: string) {
  const records = [
    ...EVENTS.filter((e) => e.type.startsWith('record.')).map((e) => ({ tenant: e.tenant, status: e.type.slice('record.'.length), category: e.error?.category as string | undefined, value: e.record.value as number | undefined, currency: e.record.currency as string | undefined })),
    ...SPANS.filter((s) => s.name.startsWith('record')).map((s) => {
      const a = Object.fromEntries(s.attributes.map((x: Json) => [x.key, x.value.stringValue ?? x.value.doubleValue]));
      return { tenant: SPAN_TENANT['tenant.id'], status: s.status.code === 2 ? 'failed' : 'synced', category: a['failure.category'], value: a['record.value'], currency: a['record.currency'] };
    }),
  ].filter((r) => tenant === undefined || r.tenant === tenant);
  const runFailures = EVENTS.filter((e) => e.type === 'run.failed' && (tenant === undefined || e.tenant === tenant));
  const byCategory: Record<string, number> = {};
  for (const c of [...records.filter((r) => r.status === 'failed').map((r) => r.category!), ...runFailures.map((e) => e.error.category)]) byCategory[c] = (byCategory[c] ?? 0) + 1;
  const value: Record<string, number> = {};
  for (const r of records) if (r.status === 'synced' && r.value !== undefined) value[r.currency ?? 'USD'] = (value[r.currency ?? 'USD'] ?? 0) + r.value;
  return {
    synced: records.filter((r) => r.status === 'synced').length,
    failed: records.filter((r) => r.status === 'failed').length,
    skipped: records.filter((r) => r.status === 'skipped').length,
    byCategory,
    value,
  };
}

// One alert rule of our own, so the alert panels do not depend on the shipped defaults.
export const RULES = `rules:
  - name: dashboard-infra
    kind: threshold
    severity: critical
    match:
      category: infra
    metric: failure_count
    threshold: 1
    window: 1h
`;

