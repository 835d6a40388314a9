import { formatDuration, formatTime } from '../format/index.js';
import { fromChTime, type EventRow } from '../store/index.js';
import { groupOf, toObservation, type Judgement } from './evaluate-observation.js';
import type { Observation } from './model.js';
import type { AlertRule, EventRule } from './rules-model.js';
import { formatMoney } from './rules-text.js';

/** `attributes.expires_at`: ISO-8601, or epoch seconds / milliseconds. */
function parseExpiry(value: string | undefined): number | null {
  if (value === undefined || value.trim() === '') return null;
  if (/^\d+(\.\d+)?$/.test(value.trim())) {
    const n = Number(value);
    return n < 1e12 ? n * 1000 : n;
  }
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : ms;
}

/** Whether a row of the rule's event meets the rule's conditions, and the figures it adds. */
function judgeFiring(rule: EventRule, row: EventRow, now: number): Omit<Judgement, 'group' | 'active'> | null {
  if (rule.recordType !== undefined && row.record_type !== rule.recordType) return null;
  if (rule.currency !== undefined && row.currency !== rule.currency) return null;
  if (rule.minValue !== undefined && (row.has_value !== 1 || row.record_value < rule.minValue)) return null;
  const vars: Judgement['vars'] = {
    event: row.type,
    message: row.message,
    ...(row.record_id
      ? {
          record_id: row.record_id,
          record_type: row.record_type || 'record',
          value: row.has_value === 1 ? formatMoney(row.record_value, row.currency) : '',
          currency: row.currency,
        }
      : {}),
  };
  const out: Omit<Judgement, 'group' | 'active'> = { vars, ...(row.has_value === 1 ? { value: row.record_value } : {}), ...(rule.minValue !== undefined ? { threshold: rule.minValue } : {}) };
  if (rule.event === 'auth.expiring') {
    const expiresAt = parseExpiry(row.attributes.expires_at);
    // No date given: the runner says it is expiring, which is news enough.
    if (expiresAt !== null && expiresAt - now > rule.horizonMs!) return null;
    vars.expires_at = expiresAt === null ? 'soon' : formatTime(expiresAt);
    vars.expires_in = expiresAt === null ? 'soon' : expiresAt <= now ? 'now' : `in ${formatDuration(expiresAt - now)}`;
    out.value = expiresAt === null ? undefined : Math.round((expiresAt - now) / 1000);
    out.threshold = Math.round(rule.horizonMs! / 1000);
    out.discriminator = expiresAt === null ? '' : String(expiresAt);
  } else if (rule.oneShot) {
    // Each high-value record (each run) is news of its own; a re-send of the same one is not.
    out.discriminator = row.record_id || row.run;
  }
  return out;
}

/**
 * Event rules at ingest (docs/architecture.md#alerts-and-notifications): what the accepted rows say, now. A row of the
 * rule's event that meets its conditions is an active observation; a row of one of its
 * `resolve_on` events is an inactive one for the same group (auth.refreshed clears
 * auth.expired). Rows older than the rule's max_age (back-fills, history) say nothing.
 * Rows are read in event-time order, so "expired, then refreshed" in one batch ends clear.
 */
export function evaluateEvent(rules: readonly AlertRule[], eventRows: readonly EventRow[], now: number): Observation[] {
  const eventRules = rules.filter((r): r is EventRule => r.enabled && r.kind === 'event');
  if (eventRules.length === 0 || eventRows.length === 0) return [];
  const types = new Set(eventRules.flatMap((r) => [r.event, ...r.resolveOn]));
  const rows = eventRows
    .filter((r) => types.has(r.type))
    .map((row) => ({ row, at: Date.parse(fromChTime(row.ts)) }))
    .sort((a, b) => a.at - b.at);

  const observations: Observation[] = [];
  for (const { row, at } of rows) {
    for (const rule of eventRules) {
      if (now - at > rule.maxAgeMs) continue;
      const group = groupOf(rule, row);
      if (row.type === rule.event) {
        const fired = judgeFiring(rule, row, now);
        if (fired) observations.push(toObservation(rule, { group, active: true, ...fired, vars: { time: formatTime(at), ...fired.vars } }));
      } else if (rule.resolveOn.includes(row.type) && !rule.oneShot) {
        observations.push(toObservation(rule, { group, active: false, vars: { event: row.type, time: formatTime(at) } }));
      }
    }
  }
  return observations;
}
