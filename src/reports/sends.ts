import { z } from 'zod';
import { toChTime, type Driver } from '../store/index.js';

// The scheduler's memory (migration 019): which (kind, period, tenant) were handled.

/** Scheduled report kinds: weekly (the previous ISO week) and monthly (the previous month). */
export type ReportKind = 'weekly' | 'monthly';

/** One handled (kind, period, tenant): sent to `targets` targets, or skipped (no activity). */
export interface ReportSend {
  kind: ReportKind;
  period: string;
  tenant: string;
  outcome: 'sent' | 'skipped';
  messageIds: string[];
  targets: number;
  handledAt: number;
}

const tenantRow = z.object({ tenant: z.string() });

/** Tenants whose report of this kind and period was already handled. */
export async function handledTenants(driver: Driver, kind: ReportKind, period: string): Promise<Set<string>> {
  const rows = await driver.query({
    name: 'reports.sends.handled',
    sql: 'SELECT DISTINCT tenant FROM report_sends WHERE kind = {kind:String} AND period = {period:String}',
    params: { kind, period },
    schema: tenantRow,
  });
  return new Set(rows.map((r) => r.tenant));
}

/** Records that a tenant's report of this kind and period was handled. */
export async function recordSend(driver: Driver, send: ReportSend): Promise<void> {
  await driver.insert('report_sends', [
    {
      kind: send.kind,
      period: send.period,
      tenant: send.tenant,
      outcome: send.outcome,
      message_ids: send.messageIds,
      targets: send.targets,
      handled_at: toChTime(send.handledAt),
    },
  ]);
}
