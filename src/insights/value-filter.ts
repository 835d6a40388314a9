// The filters and money expression shared by the value queries (value-sql.ts, value-at-risk.ts).

/** Which records to value; every field is an optional equality filter. */
export interface ValueFilter {
  tenant?: string;
  integration?: string;
  flow?: string;
}

/**
 * A record's value as exact decimal, the same expression the value_stats view uses
 * (migration 009): values beyond ±1e18 count as 0 rather than failing an insert.
 */
export const MONEY_SQL = (column: string) => `toDecimal128(if(abs(${column}) < 1e18, ${column}, 0), 6)`;

/** Equality filters as parameterised WHERE fragments; `flowColumn` null leaves flow out. */
export function filterSql(f: ValueFilter, flowColumn: string | null = 'flow'): string[] {
  const where: string[] = [];
  if (f.tenant) where.push('tenant = {tenant:String}');
  if (f.integration) where.push('integration = {integration:String}');
  if (f.flow && flowColumn) where.push(`${flowColumn} = {flow:String}`);
  return where;
}

/** The bound values of {@link filterSql} (unused ones are harmless). */
export const filterParams = (f: ValueFilter) => ({ tenant: f.tenant ?? '', integration: f.integration ?? '', flow: f.flow ?? '' });

/** Joins WHERE fragments with AND; no fragment means every row. */
export const and = (parts: string[]) => (parts.length ? parts.join(' AND ') : '1');

/** Parses exact decimal text (`-12.345`) into integer millionths, so sums stay exact. */
export function toMicros(text: string): bigint {
  const negative = text.startsWith('-');
  const [whole, fraction = ''] = (negative ? text.slice(1) : text).split('.');
  const micros = BigInt(whole || '0') * 1_000_000n + BigInt((fraction + '000000').slice(0, 6));
  return negative ? -micros : micros;
}
