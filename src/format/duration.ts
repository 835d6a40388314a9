// Durations as people say them, the same on every page, email and webhook: the two
// largest units in words ("3 minutes 5 seconds", "2 hours 15 minutes", "3 days 4 hours").
import { numberFormat } from './intl.js';

const plural = (n: number, unit: string) => `${numberFormat().format(n)} ${unit}${n === 1 ? '' : 's'}`;
const pair = (a: number, aUnit: string, b: number, bUnit: string) => (b ? `${plural(a, aUnit)} ${plural(b, bUnit)}` : plural(a, aUnit));

/** A duration in milliseconds in words: "less than a second", "42 seconds", "1 hour 5 minutes". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return '';
  if (ms < 1000) return 'less than a second';
  const s = Math.round(ms / 1000);
  if (s < 60) return plural(s, 'second');
  if (s < 600) return pair(Math.floor(s / 60), 'minute', s % 60, 'second');
  const m = Math.round(s / 60);
  if (m < 60) return plural(m, 'minute');
  if (m < 48 * 60) return pair(Math.floor(m / 60), 'hour', m % 60, 'minute');
  const h = Math.round(m / 60);
  return pair(Math.floor(h / 24), 'day', h % 24, 'hour');
}
