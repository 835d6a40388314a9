import type { ValueSettings } from '../config.js';
import type { AtRiskRow, MovedRow } from './value-sql.js';
import { toMicros } from './value-filter.js';

/** Money per currency, and converted to the reporting currency (the API's shape, as in adoption). */
export interface Money {
  /** Sum of the converted amounts, in `currency`, rounded to cents. */
  total: number;
  /** The reporting currency. */
  currency: string;
  by_currency: Record<string, number>;
  /** Currencies with no configured rate: listed in `by_currency` but left out of `total`. */
  unconverted_currencies: string[];
}

/** The value figures of one period (docs/architecture.md#value). */
export interface ValueFigures {
  money_moved: Money;
  /** Successful record syncs. */
  records_moved: number;
  /** Failed attempts to sync a record (a record retried three times counts three). */
  records_failed: number;
  records_skipped: number;
  time_saved: { minutes: number; hours: number; value: number; currency: string };
  /** Records whose latest attempt (as of the period's end) failed; null where it does not apply (per-day groups). */
  value_at_risk: (Money & { records: number }) | null;
  /** Every currency of this period that could not be converted (money moved or at risk). */
  unconverted_currencies: string[];
}

const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;

/** Units of the reporting currency for one unit of `currency`; undefined when no rate is configured. */
export function rateOf(currency: string, settings: Pick<ValueSettings, 'reporting_currency' | 'rates'>): number | undefined {
  return currency === settings.reporting_currency ? 1 : settings.rates[currency];
}

/** Converts per-currency sums with the configured rates; currencies without a rate stay unconverted. */
export function convertMoney(micros: ReadonlyMap<string, bigint>, settings: Pick<ValueSettings, 'reporting_currency' | 'rates'>): Money {
  const byCurrency: Record<string, number> = {};
  const unconverted: string[] = [];
  let total = 0;
  for (const currency of [...micros.keys()].sort()) {
    const amount = Number(micros.get(currency)) / 1e6;
    byCurrency[currency] = amount;
    const rate = rateOf(currency, settings);
    if (rate === undefined) unconverted.push(currency);
    else total += amount * rate;
  }
  return { total: round(total, 2), currency: settings.reporting_currency, by_currency: byCurrency, unconverted_currencies: unconverted };
}

/**
 * Minutes of manual work one synced record saves: the most specific entry of
 * `minutes_per_record` matching the record's integration, flow and type (the first listed
 * wins a tie), else `default_minutes_per_record`.
 */
export function minutesPerRecord(
  settings: Pick<ValueSettings, 'minutes_per_record' | 'default_minutes_per_record'>,
  r: { integration: string; flow: string; recordType: string },
): number {
  let best: { score: number; minutes: number } | null = null;
  for (const m of settings.minutes_per_record) {
    if (m.integration !== undefined && m.integration !== r.integration) continue;
    if (m.flow !== undefined && m.flow !== r.flow) continue;
    if (m.record_type !== undefined && m.record_type !== r.recordType) continue;
    const score = Number(m.integration !== undefined) + Number(m.flow !== undefined) + Number(m.record_type !== undefined);
    if (!best || score > best.score) best = { score, minutes: m.minutes };
  }
  return best ? best.minutes : settings.default_minutes_per_record;
}

function addTo(map: Map<string, bigint>, currency: string, micros: bigint) {
  map.set(currency, (map.get(currency) ?? 0n) + micros);
}

/**
 * The figures of one period from its rows. `atRisk` is null where value at risk does not
 * apply. Records without a value (currency '') count as records but carry no money.
 */
export function computeFigures(moved: readonly MovedRow[], atRisk: readonly AtRiskRow[] | null, settings: ValueSettings): ValueFigures {
  const money = new Map<string, bigint>();
  let synced = 0;
  let failed = 0;
  let skipped = 0;
  let minutes = 0;
  for (const r of moved) {
    synced += r.synced;
    failed += r.failed;
    skipped += r.skipped;
    minutes += r.synced * minutesPerRecord(settings, r);
    if (r.currency !== '' && r.synced > 0) addTo(money, r.currency, toMicros(r.syncedValue));
  }
  const moneyMoved = convertMoney(money, settings);

  let valueAtRisk: ValueFigures['value_at_risk'] = null;
  if (atRisk) {
    const risk = new Map<string, bigint>();
    let records = 0;
    for (const r of atRisk) {
      records += r.records;
      if (r.currency !== '') addTo(risk, r.currency, toMicros(r.value));
    }
    valueAtRisk = { ...convertMoney(risk, settings), records };
  }

  const unconverted = new Set([...moneyMoved.unconverted_currencies, ...(valueAtRisk?.unconverted_currencies ?? [])]);
  return {
    money_moved: moneyMoved,
    records_moved: synced,
    records_failed: failed,
    records_skipped: skipped,
    time_saved: {
      minutes: round(minutes, 2),
      hours: round(minutes / 60, 2),
      value: round((minutes / 60) * settings.hourly_cost, 2),
      currency: settings.reporting_currency,
    },
    value_at_risk: valueAtRisk,
    unconverted_currencies: [...unconverted].sort(),
  };
}
