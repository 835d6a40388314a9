import type { QuietHours } from './subscriptions.js';

// Wall-clock arithmetic in a tenant's time zone, with Intl only (no tz database of our own).

const DAY = 86_400_000;
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-GB', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** The wall-clock time in `timeZone` at instant `t`, as if it were UTC (epoch ms). */
function wallClock(t: number, timeZone: string): number {
  const p = Object.fromEntries(formatter(timeZone).formatToParts(new Date(t)).map((x) => [x.type, Number(x.value)]));
  return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
}

const minutesOf = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** Whether `now` falls inside the quiet hours (a window that may span midnight; start == end means none). */
export function inQuietHours(q: QuietHours | null, now: number): boolean {
  if (!q) return false;
  const wall = wallClock(now, q.timezone);
  const m = Math.floor((wall % DAY) / 60_000);
  const start = minutesOf(q.start);
  const end = minutesOf(q.end);
  if (start === end) return false;
  return start < end ? m >= start && m < end : m >= start || m < end;
}

/** The latest instant at or before `now` when the local time in `timeZone` was `hhmm` (the last digest time). */
export function lastLocalTime(now: number, hhmm: string, timeZone: string): number {
  const wall = wallClock(now, timeZone);
  let target = wall - (wall % DAY) + minutesOf(hhmm) * 60_000;
  if (target > wall) target -= DAY;
  // Convert the local wall time back to an instant: the zone's offset at that instant, corrected once for DST edges.
  let instant = target - (wallClock(target, timeZone) - target);
  instant = target - (wallClock(instant, timeZone) - instant);
  return instant > now ? instant - DAY : instant;
}
