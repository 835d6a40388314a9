import type { RuleKind } from './rules-kinds.js';

// Rule texts: `{{name}}` placeholders filled from the figures of one observation. Plain
// substitution, no helpers or logic: a rule file is configuration, not a template language.

/** Placeholders every rule knows, and those each kind adds. Unknown ones are a load error. */
export const TEMPLATE_VARS: Record<'common' | RuleKind, readonly string[]> = {
  common: ['rule', 'severity', 'category', 'code', 'tenant', 'integration', 'flow', 'where'],
  threshold: ['window', 'count', 'rate', 'attempts', 'threshold', 'examples', 'value_at_risk', 'records', 'outstanding'],
  consecutive_failed_runs: ['runs', 'streak', 'last_error'],
  stale: ['since', 'cadence', 'last_success'],
  volume_drop: ['window', 'count', 'baseline', 'drop', 'baseline_days'],
  event: ['event', 'time', 'record_id', 'record_type', 'value', 'currency', 'message', 'expires_at', 'expires_in'],
  partner_incident: ['partner', 'tenants', 'connections', 'active_connections', 'records', 'value_at_risk', 'window', 'codes'],
};

const PLACEHOLDER = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;

/** The placeholder names used in a text. */
export function placeholdersOf(text: string): string[] {
  return [...text.matchAll(PLACEHOLDER)].map((m) => m[1]);
}

/** Fills `{{name}}` placeholders; a value that is missing renders as an empty string. */
export function renderText(text: string, vars: Readonly<Record<string, string | number | undefined>>): string {
  return text
    .replace(PLACEHOLDER, (_, name: string) => String(vars[name] ?? ''))
    .replace(/[ \t]{2,}/g, ' ')
    .trim();
}

/** Default summaries, per kind (threshold per metric; event per event type). */
export const DEFAULT_SUMMARY = {
  failure_rate: '{{where}}: {{rate}} of runs and records failed ({{category}} · {{code}}) in the last {{window}} ({{count}} of {{attempts}})',
  failure_count: '{{where}}: {{count}} failures ({{category}} · {{code}}) in the last {{window}}',
  consecutive_failed_runs: '{{where}}: the last {{streak}} runs failed ({{last_error}})',
  stale: '{{where}}: no successful run for {{since}}; runs are expected every {{cadence}}',
  volume_drop: '{{where}}: {{count}} records synced in the last {{window}}, {{drop}} below the usual {{baseline}} for this time of day',
  'auth.expiring': '{{where}}: the authorisation expires {{expires_in}} ({{expires_at}})',
  'auth.expired': '{{where}}: the authorisation expired; nothing syncs until it is re-authorised',
  record: '{{where}}: {{record_type}} {{record_id}} {{event}} ({{value}})',
  event: '{{where}}: {{event}}',
  partner_incident: "{{partner}}'s API is failing ({{codes}}) for {{tenants}} tenants ({{connections}} of {{active_connections}} active connections); {{records}} records failed in the last {{window}}{{value_at_risk}}",
} as const;

/** Default actions by who can act (docs/architecture.md#failure-categories). */
export const DEFAULT_ACTION = {
  data: 'Fix these records in your system; they sync again on the next run: {{examples}}',
  auth: 'Re-authorise the {{integration}} connection in the integration settings.',
  endpoint: 'Nothing to do on your side: the {{integration}} API is failing and we are on it; runs retry automatically.',
  infra: 'Check the runner: its logs, memory and disk; restart or scale the worker.',
  stale: 'Check that the {{integration}} connection is enabled and that its schedule is running.',
  volume_drop: 'Check that records are still produced upstream and that no filter, mapping or permission changed.',
  health: 'Check the latest runs of {{where}} and their errors.',
  success: 'Nothing to do: this is for your information.',
  partner_incident: "Check {{partner}}'s status page and open a ticket with them if it is not acknowledged; the affected connections retry on their own, and their own alerts are held back while the incident lasts.",
} as const;

/** Alert texts format figures the way pages and emails do (src/format): one formatter for each kind. */
export { formatMoney, formatPercent as percent } from '../format/index.js';

/** `salesforce · orders.export`, or just the integration when the flow is not known or not grouped. */
export const whereOf = (labels: { integration: string; flow: string }) =>
  [labels.integration, labels.flow].filter((s) => s !== '').join(' · ') || 'all integrations';
