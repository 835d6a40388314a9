import { formatMoney } from './numbers.js';

// Money in several currencies, as one figure: the converted total, and beside it every
// amount that has no conversion rate, in its own currency. Nothing that moved is ever
// dropped from a figure, and "$0.00" is never shown when only unconverted money moved.

/** Money per currency with its converted total (the shape of the value API's money figures). */
export interface MoneyFigure {
  total: number;
  currency: string;
  by_currency: Record<string, number>;
  unconverted_currencies: string[];
}

/** The amounts of a figure that are not in its total, in their own currencies. */
export function unconvertedAmounts(m: MoneyFigure): { currency: string; amount: number }[] {
  return m.unconverted_currencies.map((currency) => ({ currency, amount: m.by_currency[currency] ?? 0 }));
}

/**
 * A money figure in words: "$12,345.00", "$12,345.00 + ¥40,000", or "€348,970.76 +
 * £3,086,397.34" when nothing could be converted (no "$0.00" beside them).
 */
export function describeMoney(m: MoneyFigure): string {
  const extra = unconvertedAmounts(m).map((u) => formatMoney(u.amount, u.currency));
  const converted = m.total !== 0 || extra.length === 0 ? [formatMoney(m.total, m.currency)] : [];
  return [...converted, ...extra].join(' + ');
}
