// Times and relative times as every page, email and webhook shows them: always UTC, never a raw ISO string.

/** Formats a time (epoch ms or ISO string) unambiguously for any reader: "2026-11-22 12:00 UTC". */
export function formatTime(value: unknown): string {
  if (value === null || value === undefined || value === '') return '';
  const d = new Date(typeof value === 'number' ? value : String(value));
  return Number.isNaN(d.getTime()) ? '' : `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}


/** "12 minutes ago", "3 days ago", "in 5 minutes" — `value` relative to `now` (both epoch ms or ISO). */
export function formatAgo(value: unknown, now: unknown): string {
  const toMs = (v: unknown) => (typeof v === 'number' ? v : Date.parse(String(v)));
  if (value === null || value === undefined || value === '') return 'never';
  const t = toMs(value);
  const n = toMs(now);
  if (!Number.isFinite(t) || !Number.isFinite(n)) return '';
  const diff = n - t;
  const abs = Math.abs(diff);
  const units: [number, string][] = [
    [86_400_000, 'day'],
    [3_600_000, 'hour'],
    [60_000, 'minute'],
  ];
  if (abs < 60_000) return 'just now';
  const [size, unit] = units.find(([u]) => abs >= u)!;
  const count = Math.floor(abs / size);
  const phrase = `${count} ${unit}${count === 1 ? '' : 's'}`;
  return diff >= 0 ? `${phrase} ago` : `in ${phrase}`;
}
