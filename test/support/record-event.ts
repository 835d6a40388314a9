import { toChTime } from '../../src/store/index.js';

/** What a randomised value-at-risk test draws an attempt's details from (its seeded generator). */
export interface Draw {
  random: () => number;
  pick: <T>(xs: readonly T[]) => T;
}

/**
 * A record attempt as an `events` row, with a value 80 % of the time (in USD or EUR) and a
 * random flow, drawn from `draw` in a fixed order (so a seed gives the same rows): whether
 * it has a value, then `id()`, the flow, the value and the currency.
 */
export function recordEvent(
  draw: Draw,
  a: { id: () => string; status: string; ts: number; tenant: string; integration: string; recordId: string; run: string },
) {
  const hasValue = draw.random() < 0.8;
  const ts = toChTime(a.ts);
  return {
    event_id: a.id(),
    type: `record.${a.status}`,
    ts,
    received_at: ts,
    tenant: a.tenant,
    integration: a.integration,
    connection: `${a.tenant}-${a.integration}`,
    flow: draw.pick(['orders.export', 'orders.import']),
    run: a.run,
    record_id: a.recordId,
    record_type: 'order',
    record_value: hasValue ? Math.round(draw.random() * 10_000) / 100 : 0,
    has_value: hasValue ? 1 : 0,
    currency: hasValue ? draw.pick(['USD', 'EUR']) : '',
    failure_category: a.status === 'failed' ? 'data' : '',
    failure_code: a.status === 'failed' ? 'validation' : '',
    source: 'event',
  };
}
