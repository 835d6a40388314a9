import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

// The reference exchange-rate table (rates/reference.yaml): a dated file shipped with
// syncwatch that an operator updates by editing it (or by pointing SYNCWATCH_RATES_FILE
// at their own). Money is never converted with rates fetched at report time: a report
// must say the same thing every time it is rebuilt.

const code = z.string().regex(/^[A-Z]{3}$/, 'a three-letter ISO 4217 code');

const tableSchema = z.strictObject({
  /** The day the rates are from (YAML may read it as a date). */
  as_of: z.union([z.string().regex(/^\d{4}-\d{2}-\d{2}$/), z.date().transform((d) => d.toISOString().slice(0, 10))]),
  base: code,
  /** Units of `base` for one unit of each currency. */
  rates: z.record(code, z.number().positive()),
});

/** A reference rate table as read from its file. */
export type RateTable = z.output<typeof tableSchema> & { file: string };

/** Where a currency's rate came from, and as of when (reports and the API name it). */
export interface RatesInfo {
  /** The reference table's date, or null without a table. */
  reference_as_of: string | null;
  /** Currencies converted with the reference table (the rest with configured rates). */
  reference_currencies: string[];
}

/** Reads and validates a rate table; throws an Error naming the file and the field. */
export function readRateTable(file: string): RateTable {
  const raw: unknown = parseYaml(readFileSync(file, 'utf8'));
  const parsed = tableSchema.safeParse(raw);
  if (!parsed.success) {
    throw new Error(`${file}: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
  }
  return { ...parsed.data, file };
}

/**
 * The rates to convert with: units of `reporting` for one unit of each currency.
 * Configured rates win; the table fills in every other currency it can cross through its
 * base (EUR→GBP = EUR→USD ÷ GBP→USD). A currency in neither stays unconverted.
 */
export function effectiveRates(
  reporting: string,
  configured: Readonly<Record<string, number>>,
  table: RateTable | null,
): { rates: Record<string, number>; info: RatesInfo } {
  const rates: Record<string, number> = {};
  const fromTable: string[] = [];
  const inBase = table ? { ...table.rates, [table.base]: 1 } : {};
  const reportingInBase = inBase[reporting];
  if (table && reportingInBase !== undefined) {
    for (const [currency, value] of Object.entries(inBase)) {
      if (currency === reporting || configured[currency] !== undefined) continue;
      rates[currency] = value / reportingInBase;
      fromTable.push(currency);
    }
  }
  Object.assign(rates, configured);
  return { rates, info: { reference_as_of: table && fromTable.length ? table.as_of : null, reference_currencies: fromTable.sort() } };
}
