import { z } from 'zod';
import { fromChTime, toChTime, type Driver } from '../store/index.js';
import type { Alert, AlertStatus } from './model.js';
import type { Delivery, NotifyEntry, NotifyLog } from './routing.js';
import type { StatusChange } from './state.js';

const DAY = 86_400_000;
const ms = (v: number | null) => (v === null ? null : toChTime(v));

const alertSchema = z
  .object({
    fingerprint: z.string(),
    labels: z.object({
      rule: z.string(),
      severity: z.enum(['info', 'warning', 'critical']),
      category: z.string(),
      code: z.string(),
      audience: z.array(z.enum(['tenant', 'operator'])),
      tenant: z.string(),
      integration: z.string(),
      flow: z.string(),
    }),
    status: z.enum(['pending', 'firing', 'resolved']),
    activeSince: z.number(),
    firedAt: z.number().nullable(),
    resolvedAt: z.number().nullable(),
    clearSince: z.number().nullable(),
    lastNotifiedAt: z.number().nullable(),
    version: z.number(),
  })
  .passthrough();

const alertRow = z.object({ latest: z.string() }).transform((r) => alertSchema.parse(JSON.parse(r.latest)) as unknown as Alert);

/** Writes the newest version of each changed alert. */
export async function saveAlerts(driver: Driver, alerts: readonly Alert[], now: number): Promise<void> {
  if (alerts.length === 0) return;
  await driver.insert(
    'alert_state',
    alerts.map((a) => ({
      fingerprint: a.fingerprint,
      rule: a.labels.rule,
      tenant: a.labels.tenant,
      integration: a.labels.integration,
      flow: a.labels.flow,
      severity: a.labels.severity,
      category: a.labels.category,
      status: a.status,
      fired_at: ms(a.firedAt),
      resolved_at: ms(a.resolvedAt),
      updated_at: toChTime(now),
      alert: JSON.stringify(a),
      version: a.version,
    })),
  );
}

/** What a worker needs at start: every alert not resolved, and those resolved in the last `recentMs` (a resolve may still be owed). */
export async function loadAlerts(driver: Driver, now: number, recentMs = 2 * DAY): Promise<Map<string, Alert>> {
  const rows = await driver.query({
    name: 'alerts.state.load',
    sql: `SELECT argMax(alert, version) AS latest
          FROM alert_state
          GROUP BY fingerprint
          HAVING argMax(status, version) != 'resolved' OR argMax(updated_at, version) >= {since:DateTime64(3)}`,
    params: { since: toChTime(now - recentMs) },
    schema: alertRow,
  });
  return new Map(rows.map((a) => [a.fingerprint, a]));
}

const logRow = z
  .object({ key: z.string(), fp: z.string(), firing_ms: z.coerce.number().nullable(), resolved_ms: z.coerce.number().nullable(), told: z.coerce.number() })
  .transform((r): NotifyEntry => ({ key: r.key, fingerprint: r.fp, firingAt: r.firing_ms, resolvedAt: r.resolved_ms, ...(r.told > 0 ? { toldSize: r.told } : {}) }));

/** The notify log. Its times only grow, so the newest of each is the max over a key's rows, whatever merges did. */
export async function loadNotifyLog(driver: Driver): Promise<NotifyLog> {
  const rows = await driver.query({
    name: 'alerts.notify_log.load',
    sql: `SELECT key, any(fingerprint) AS fp,
                 toUnixTimestamp64Milli(max(firing_at)) AS firing_ms, toUnixTimestamp64Milli(max(resolved_at)) AS resolved_ms,
                 argMax(told_size, updated_at) AS told
          FROM alert_notify_log
          GROUP BY key`,
    schema: logRow,
  });
  return new Map(rows.map((e) => [e.key, e]));
}

/** Writes notify-log entries. */
export async function saveNotifyLog(driver: Driver, entries: readonly NotifyEntry[], now: number): Promise<void> {
  if (entries.length === 0) return;
  await driver.insert(
    'alert_notify_log',
    entries.map((e) => ({ key: e.key, fingerprint: e.fingerprint, firing_at: ms(e.firingAt), resolved_at: ms(e.resolvedAt), told_size: e.toldSize ?? 0, updated_at: toChTime(now) })),
  );
}

/** Appends status changes and handed-over notifications to the alert history. */
export async function appendHistory(driver: Driver, changes: readonly StatusChange[], deliveries: readonly Delivery[], now: number): Promise<void> {
  const rows = [
    ...changes.map((c) => ({
      ts: toChTime(now),
      fingerprint: c.alert.fingerprint,
      tenant: c.alert.labels.tenant,
      rule: c.alert.labels.rule,
      kind: c.to === 'resolved' && c.from === 'pending' ? 'cancelled' : c.to,
      from_status: c.from ?? '',
      to_status: c.to,
      detail: c.silent ? 'silent' : c.alert.summary,
      version: c.alert.version,
    })),
    ...deliveries.flatMap((d) =>
      d.message.alerts.map((a) => ({
        ts: toChTime(now),
        fingerprint: a.fingerprint,
        tenant: a.labels.tenant,
        rule: a.labels.rule,
        kind: 'notified',
        from_status: a.status,
        to_status: a.status,
        // Which message went to which receiver and channel: never an address list or a URL with a secret.
        detail: `${d.message.type} ${d.message.id} → ${d.receiver} (${d.targets.map((t) => t.channel).join(', ')})`,
        version: a.version,
      })),
    ),
  ];
  if (rows.length > 0) await driver.insert('alert_history', rows);
}

/** One history entry as the API shows it. */
export interface HistoryEntry {
  time: string;
  kind: string;
  from: string | null;
  to: string;
  detail: string;
}

const historyRow = z
  .object({ at: z.string(), fingerprint: z.string(), kind: z.string(), from_status: z.string(), to_status: z.string(), detail: z.string() })
  .transform((r) => ({
    fingerprint: r.fingerprint,
    entry: { time: fromChTime(r.at), kind: r.kind, from: r.from_status || null, to: r.to_status, detail: r.detail } satisfies HistoryEntry,
  }));

/** Filters of GET /v1/alerts. */
export interface AlertQuery {
  status?: AlertStatus;
  tenant?: string;
  /** Resolved alerts are listed when they changed after this (epoch ms). */
  since: number;
  limit: number;
  /** Only partner incidents (their operator alerts, which carry the incident's figures). */
  incidents?: boolean;
}

/** Alerts firing or pending, and recent resolved ones, newest first, each with its history (oldest first). */
export async function listAlerts(driver: Driver, q: AlertQuery): Promise<(Alert & { history: HistoryEntry[] })[]> {
  const having = [`(argMax(status, version) != 'resolved' OR argMax(updated_at, version) >= {since:DateTime64(3)})`];
  if (q.status) having.push('argMax(status, version) = {status:String}');
  if (q.tenant !== undefined) having.push('argMax(tenant, version) = {tenant:String}');
  if (q.incidents) having.push(`argMax(tenant, version) = '' AND JSONHas(argMax(alert, version), 'incident')`);
  const alerts = await driver.query({
    name: 'alerts.list',
    sql: `SELECT argMax(alert, version) AS latest
          FROM alert_state
          GROUP BY fingerprint
          HAVING ${having.join(' AND ')}
          ORDER BY argMax(updated_at, version) DESC, fingerprint
          LIMIT {limit:UInt32}`,
    params: { since: toChTime(q.since), status: q.status ?? '', tenant: q.tenant ?? '', limit: q.limit },
    schema: alertRow,
  });
  if (alerts.length === 0) return [];
  const history = await driver.query({
    name: 'alerts.history',
    sql: `SELECT toString(ts) AS at, fingerprint, kind, from_status, to_status, detail
          FROM alert_history
          WHERE fingerprint IN {fingerprints:Array(String)}
          ORDER BY fingerprint, ts DESC, version DESC, kind = 'notified' DESC
          LIMIT 50 BY fingerprint`,
    params: { fingerprints: alerts.map((a) => a.fingerprint) },
    schema: historyRow,
  });
  const byAlert = new Map<string, HistoryEntry[]>();
  for (const h of history) byAlert.set(h.fingerprint, [h.entry, ...(byAlert.get(h.fingerprint) ?? [])]);
  return alerts.map((a) => ({ ...a, history: byAlert.get(a.fingerprint) ?? [] }));
}
