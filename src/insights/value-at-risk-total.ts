import type { ValueSettings } from '../config.js';
import type { Driver } from '../store/index.js';
import { queryAtRisk } from './value-at-risk.js';
import type { ValueFilter } from './value-filter.js';
import { toMicros } from './value-filter.js';
import { convertMoney } from './value-model.js';

/**
 * Value at risk in scope as of `asOf` (docs/architecture.md#value: failed records not synced
 * by a later attempt) as one amount: in its one currency, else converted to the reporting
 * currency when every currency converts, else the largest currency. Null with none valued.
 * An alert names it in one line, where the value insight lists every currency.
 */
export async function getValueAtRiskTotal(
  driver: Driver,
  filter: ValueFilter,
  asOf: Date,
  settings?: Pick<ValueSettings, 'reporting_currency' | 'rates'>,
): Promise<{ amount: number; currency: string } | null> {
  const rows = (await queryAtRisk(driver, filter, asOf)).filter((r) => r.currency !== '');
  if (rows.length === 0) return null;
  const micros = new Map<string, bigint>();
  for (const r of rows) micros.set(r.currency, (micros.get(r.currency) ?? 0n) + toMicros(r.value));
  if (micros.size > 1 && settings) {
    const money = convertMoney(micros, settings);
    if (money.unconverted_currencies.length === 0) return { amount: money.total, currency: money.currency };
  }
  const [currency, amount] = [...micros.entries()].sort((a, b) => (b[1] > a[1] ? 1 : b[1] < a[1] ? -1 : 0))[0];
  return { amount: Number(amount) / 1e6, currency };
}
