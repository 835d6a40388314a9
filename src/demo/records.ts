import { CUSTOMER_DOMAINS, FIRST_NAMES, LAST_NAMES, type FlowSpec, type RecordKind, type TenantSpec } from './catalog.js';
import { hashString, type Random } from './random.js';
import { HOUR } from './scenarios.js';

/** A business object as events carry it (docs/architecture.md#events `record`). */
export interface BusinessRecord {
  id: string;
  type: RecordKind;
  value?: number;
  currency?: string;
}

/** Money range per record kind (log-uniform: many small orders, a few large ones). */
const MONEY: Partial<Record<RecordKind, [number, number]>> = {
  order: [25, 4_500],
  invoice: [150, 18_000],
  payment: [80, 12_000],
  deal: [2_000, 90_000],
};

function money(rnd: Random, [min, max]: [number, number]): number {
  return Math.round(min * (max / min) ** rnd.next() * 100) / 100;
}

function currency(rnd: Random, tenant: TenantSpec): string {
  return rnd.chance(0.75) ? tenant.currencies[0] : rnd.pick(tenant.currencies);
}

/** Sequence numbers derive from the schedule slot, so the same slot always names the same records. */
function sequence(slotMs: number, cadenceMs: number, stride: number, index: number, offset: number): number {
  return (offset + Math.floor(slotMs / cadenceMs) * stride + index) % 900_000;
}

function businessId(kind: RecordKind, tenant: string, flowKey: string, slotMs: number, cadenceMs: number, index: number, rnd: Random): string {
  const offset = hashString(`${tenant}/${flowKey}`) % 900_000;
  switch (kind) {
    case 'order':
      return `ORD-${100_000 + sequence(slotMs, cadenceMs, 32, index, offset)}`;
    case 'payment':
      return `PAY-${100_000 + sequence(slotMs, cadenceMs, 64, index, offset)}`;
    case 'deal':
      return `DEAL-${10_000 + (sequence(slotMs, cadenceMs, 16, index, offset) % 90_000)}`;
    case 'invoice': {
      // INV-<year>-<number>: numbered from the start of the year, six per hourly run at most.
      const year = new Date(slotMs).getUTCFullYear();
      const hourOfYear = Math.floor((slotMs - Date.UTC(year, 0, 1)) / HOUR);
      return `INV-${year}-${String(hourOfYear * 6 + index + 1).padStart(5, '0')}`;
    }
    case 'contact':
      // A pool of people: contacts are updated again and again, unlike orders.
      return `${rnd.pick(FIRST_NAMES)}.${rnd.pick(LAST_NAMES)}@${rnd.pick(CUSTOMER_DOMAINS)}`;
    case 'item':
      return `SKU-${10_000 + rnd.int(0, 499)}`;
  }
}

/** The `index`-th new record a run of this flow moves at this schedule slot. */
export function newRecord(tenant: TenantSpec, integration: string, flow: FlowSpec, slotMs: number, index: number, rnd: Random): BusinessRecord {
  const cadenceMs = flow.cadenceMinutes * 60_000;
  const id = businessId(flow.kind, tenant.id, `${integration}/${flow.name}`, slotMs, cadenceMs, index, rnd);
  const range = MONEY[flow.kind];
  if (!range) return { id, type: flow.kind };
  return { id, type: flow.kind, value: money(rnd, range), currency: currency(rnd, tenant) };
}
