import type { RetriedRecord } from './workload.js';

/** An API key the demo uses, and whether the demo made it up (then it is printed in full). */
export interface DemoKey {
  key: string;
  generated: boolean;
  /** The variable that sets it, for keys the operator configured. */
  env: string;
}

/** What the demo seeded, for the banner and for tests. */
export interface DemoSummary {
  url: string;
  days: number;
  generatedEvents: number;
  acceptedEvents: number;
  acceptedSpans: number;
  /** Workload events that travelled as OTLP spans instead of events. */
  eventsAsSpans: number;
  tenants: number;
  integrations: number;
  connections: number;
  runs: number;
  seedMs: number;
  retried: RetriedRecord | null;
  adminKey: DemoKey;
  ingestKey: DemoKey;
  /** A signed link to one demo tenant's status page, as alert emails carry (null: none). */
  statusLink: { tenant: string; url: string; validDays: number } | null;
}

const n = (x: number) => x.toLocaleString('en-US');
/** A key as it goes into a shell command: configured keys by their variable, never echoed. */
const shellKey = (k: DemoKey) => (k.generated ? k.key : `$${k.env}`);
const keyLine = (k: DemoKey) => (k.generated ? `${k.key}   (generated; set ${k.env} to choose your own)` : `from your configuration (${k.env}; not shown)`);

/** The text printed once the demo is seeded: where it runs, its keys, and a few commands to try. */
export function renderBanner(s: DemoSummary): string {
  const admin = shellKey(s.adminKey);
  const ingest = shellKey(s.ingestKey);
  const lines = [
    '',
    `syncwatch demo: ${n(s.generatedEvents)} events over ${s.days} day${s.days === 1 ? '' : 's'} ` +
      `(${s.tenants} tenants, ${s.integrations} integrations, ${s.connections} connections, ${n(s.runs)} runs) seeded in ${(s.seedMs / 1000).toFixed(1)} s`,
    '',
    `  URL         ${s.url}`,
    `  admin key   ${keyLine(s.adminKey)}`,
    `  ingest key  ${keyLine(s.ingestKey)}`,
    '',
    'Pages:',
    `  operator overview  ${s.url}/   (sign in at ${s.url}/login with the admin key)`,
  ];
  if (s.statusLink) {
    const l = s.statusLink;
    lines.push(`  status of ${l.tenant}  ${l.url}`, `    (a signed link, as alert emails carry: opens ${l.tenant}'s status page without a key for ${l.validDays} days)`);
  }
  lines.push(
    '',
    'Try:',
    '  # is the process up, and does its store answer?',
    `  curl ${s.url}/healthz`,
    `  curl ${s.url}/readyz`,
  );
  if (s.retried) {
    const r = s.retried;
    const query = new URLSearchParams({ tenant: r.tenant, record_id: r.recordId }).toString();
    lines.push(
      `  # every attempt to move ${r.recordId} of ${r.tenant} (${r.integration}): it failed ("${r.failureMessage}"), then synced`,
      `  curl -H "Authorization: Bearer ${admin}" "${s.url}/v1/records?${query}"`,
    );
  }
  const example = JSON.stringify([
    { type: 'record.synced', tenant: 'acme', integration: 'salesforce', flow: 'orders.export', run: 'run-manual-1', record: { id: 'ORD-1001', type: 'order', value: 1250, currency: 'USD' } },
  ]);
  lines.push(
    '  # the service\'s own metrics (Prometheus text)',
    `  curl -s ${s.url}/metrics | grep syncwatch_ingest`,
    '  # send an event of your own',
    `  curl -H "Authorization: Bearer ${ingest}" -H 'Content-Type: application/json' ${s.url}/v1/events -d '${example}'`,
    '',
    'The service keeps running; Ctrl-C stops it.',
    '',
  );
  return lines.join('\n');
}
