import { z } from 'zod';
import { toChTime, type Driver } from '../store/index.js';
import type { ReportPeriod } from './period.js';

// Incidents of a value report: the firing episodes of a tenant's alerts, read from
// alert_history (migration 016: every status change, ordered by tenant, fingerprint,
// time) and labelled from alert_state (015: the newest version of each alert). An
// episode starts at a change to `firing` and ends at the next change to `resolved`.

const DAY = 86_400_000;
/** How far before a period history is read for episodes still open at its start (alert_state forgets alerts after 90 days). */
const LOOKBACK_MS = 90 * DAY;
/** Records named per incident (tenant-facing alerts only). */
const MAX_RECORDS = 3;

/** One firing episode of one alert, as the report shows it. */
export interface Incident {
  fingerprint: string;
  rule: string;
  integration: string;
  flow: string;
  category: string;
  severity: string;
  /** The alert's own sentence for tenant-facing alerts; a neutral one for operator-only alerts. */
  summary: string;
  started_at: string;
  /** Null while the incident was still open at the end of the period. */
  ended_at: string | null;
  ongoing: boolean;
  /** From start to end (or to the end of the period, when still open). */
  duration_minutes: number;
  /** The part of it inside the period. */
  minutes_in_period: number;
  /** A few business ids the alert named, with their messages (tenant-facing alerts only). */
  records: { id: string; message: string }[];
}

/** Incident counts of one period: how many, how long in all, the longest. */
export interface IncidentTotals {
  count: number;
  minutes: number;
  longest_minutes: number;
}

const historyRow = z.object({ fingerprint: z.string(), at: z.coerce.number(), to_status: z.string(), detail: z.string(), rule: z.string() });

const alertJson = z
  .object({
    labels: z.object({
      severity: z.string(),
      category: z.string(),
      audience: z.array(z.string()),
      integration: z.string(),
      flow: z.string(),
    }),
    summary: z.string(),
    firedAt: z.number().nullable(),
    oneShot: z.boolean().optional(),
    records: z.array(z.object({ id: z.string(), message: z.string() }).passthrough()).default([]),
  })
  .passthrough();
type AlertMeta = z.infer<typeof alertJson>;

const stateRow = z.object({ fingerprint: z.string(), latest: z.string() }).transform((r) => {
  const parsed = alertJson.safeParse(JSON.parse(r.latest));
  return { fingerprint: r.fingerprint, meta: parsed.success ? parsed.data : null };
});

const minutes = (ms: number) => Math.round(ms / 60_000);
const CATEGORY_WORDS: Record<string, string> = { infra: 'An infrastructure', endpoint: 'A connection', data: 'A data', health: 'A health' };

/** What a tenant may read about an alert: its own sentence when it was written for them, else a neutral one. */
function summaryFor(meta: AlertMeta | null, detail: string): { summary: string; records: Incident['records'] } {
  if (!meta) return { summary: detail && detail !== 'silent' ? detail : 'An alert', records: [] };
  if (meta.labels.audience.includes('tenant')) {
    return { summary: meta.summary, records: meta.records.slice(0, MAX_RECORDS).map((r) => ({ id: r.id, message: r.message })) };
  }
  return { summary: `${CATEGORY_WORDS[meta.labels.category] ?? 'A'} problem, followed by the operations team`, records: [] };
}

/**
 * The tenant's incidents that overlap `period` or `previous` (episodes of alerts that fired:
 * not one-shot notices such as a high-value record or an expiring token, which have no
 * duration), each with how long it lasted. Two queries: the tenant's history (a key range),
 * and the labels of the alerts it names (a primary-key look-up).
 */
export async function getIncidents(driver: Driver, tenant: string, period: ReportPeriod, previous: ReportPeriod): Promise<{ current: Incident[]; previous: Incident[] }> {
  const since = previous.from.getTime() - LOOKBACK_MS;
  const history = await driver.query({
    name: 'reports.incidents.history',
    sql: `SELECT fingerprint, toUnixTimestamp64Milli(ts) AS at, to_status, detail, rule
          FROM alert_history
          WHERE tenant = {tenant:String} AND kind IN ('firing', 'resolved')
            AND ts >= {since:DateTime64(3)} AND ts < {until:DateTime64(3)}
          ORDER BY fingerprint, ts, version`,
    params: { tenant, since: toChTime(since), until: toChTime(period.to.getTime()) },
    schema: historyRow,
  });
  if (history.length === 0) return { current: [], previous: [] };
  const fingerprints = [...new Set(history.map((h) => h.fingerprint))];
  const states = await driver.query({
    name: 'reports.incidents.alerts',
    sql: `SELECT fingerprint, argMax(alert, version) AS latest
          FROM alert_state
          WHERE fingerprint IN {fingerprints:Array(String)}
          GROUP BY fingerprint`,
    params: { fingerprints },
    schema: stateRow,
  });
  const metaOf = new Map(states.map((s) => [s.fingerprint, s.meta]));

  type Episode = { fingerprint: string; rule: string; detail: string; start: number; end: number | null };
  const episodes: Episode[] = [];
  let open: Episode | null = null;
  for (const h of history) {
    if (open && open.fingerprint !== h.fingerprint) {
      episodes.push(open);
      open = null;
    }
    if (h.to_status === 'firing') {
      if (!open) open = { fingerprint: h.fingerprint, rule: h.rule, detail: h.detail, start: h.at, end: null };
    } else if (h.to_status === 'resolved') {
      if (open) {
        episodes.push({ ...open, end: h.at });
        open = null;
      } else {
        // Fired before the look-back: its start is the alert's own firedAt when that is known.
        const firedAt = metaOf.get(h.fingerprint)?.firedAt;
        episodes.push({ fingerprint: h.fingerprint, rule: h.rule, detail: h.detail, start: firedAt && firedAt <= h.at ? firedAt : since, end: h.at });
      }
    }
  }
  if (open) episodes.push(open);

  const within = (p: ReportPeriod): Incident[] =>
    episodes
      .filter((e) => e.start < p.to.getTime() && (e.end === null || e.end > p.from.getTime()))
      .flatMap((e) => {
        const meta = metaOf.get(e.fingerprint) ?? null;
        if (meta && (meta.oneShot || meta.labels.category === 'success')) return [];
        const stillOpen = e.end === null || e.end > p.to.getTime();
        const end = stillOpen ? p.to.getTime() : e.end!;
        const { summary, records } = summaryFor(meta, e.detail);
        return [
          {
            fingerprint: e.fingerprint,
            rule: e.rule,
            integration: meta?.labels.integration ?? '',
            flow: meta?.labels.flow ?? '',
            category: meta?.labels.category ?? '',
            severity: meta?.labels.severity ?? '',
            summary,
            started_at: new Date(e.start).toISOString(),
            ended_at: stillOpen ? null : new Date(end).toISOString(),
            ongoing: stillOpen,
            duration_minutes: minutes(end - e.start),
            minutes_in_period: minutes(end - Math.max(e.start, p.from.getTime())),
            records,
          },
        ];
      })
      .sort((a, b) => a.started_at.localeCompare(b.started_at) || a.fingerprint.localeCompare(b.fingerprint));

  return { current: within(period), previous: within(previous) };
}

/** Count, minutes inside the period, and the longest of a list of incidents. */
export function incidentTotals(incidents: readonly Incident[]): IncidentTotals {
  return {
    count: incidents.length,
    minutes: incidents.reduce((sum, i) => sum + i.minutes_in_period, 0),
    longest_minutes: incidents.reduce((max, i) => Math.max(max, i.duration_minutes), 0),
  };
}
