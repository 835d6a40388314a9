// Numbers, money and percentages as every page, email and webhook shows them (en-US digits).
import { numberFormat } from './intl.js';

/** Formats money in its own currency: 12345.5 EUR → "€12,345.50". */
export function formatMoney(amount: unknown, currency: unknown): string {
  const n = Number(amount);
  if (!Number.isFinite(n)) return '';
  const code = typeof currency === 'string' ? currency.toUpperCase() : '';
  try {
    if (/^[A-Z]{3}$/.test(code)) return numberFormat({ style: 'currency', currency: code }).format(n);
  } catch {
    // an unknown ISO code: fall through to the plain number
  }
  return `${numberFormat({ maximumFractionDigits: 2 }).format(n)}${code ? ` ${code}` : ''}`;
}

/** A ratio as a percentage: 0.9876 → "98.8%"; null/undefined → "–". */
export function formatPercent(ratio: unknown): string {
  if (ratio === null || ratio === undefined || ratio === '') return '–';
  const n = Number(ratio);
  if (!Number.isFinite(n)) return '–';
  return `${numberFormat({ maximumFractionDigits: n > 0.999 && n < 1 ? 2 : 1 }).format(n * 100)}%`;
}

/** A count with thousands separators: 12345 → "12,345". */
export function formatNumber(value: unknown): string {
  const n = Number(value);
  return Number.isFinite(n) ? numberFormat({ maximumFractionDigits: 1 }).format(n) : '';
}
