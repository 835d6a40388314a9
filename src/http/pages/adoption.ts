import { Router } from 'express';
import { z } from 'zod';
import { badRequest } from '../../errors.js';
import { type TimeRange } from '../../insights/index.js';
import { resolveRange, windowMs } from '../query.js';
import { getAdoptionPage } from '../../views/index.js';
import { parseQuery } from '../validate.js';
import { pageContext, sendPage, type PageDeps } from './context.js';

const WINDOWS = ['30d', '90d'] as const;
const DAY = 86_400_000;

// from/to come from a date form (YYYY-MM-DD, `to` inclusive) or from a link (ISO date-time).
const dateOrTime = z.union([z.iso.date(), z.iso.datetime({ offset: true })], { error: 'must be a date like 2026-11-01 or an ISO-8601 date-time' });

const adoptionQuery = z.object({
  window: z.enum(WINDOWS, { error: 'must be 30d or 90d' }).optional(),
  from: z.union([z.literal(''), dateOrTime]).optional(),
  to: z.union([z.literal(''), dateOrTime]).optional(),
});

const isDate = (s: string) => /^\d{4}-\d{2}-\d{2}$/.test(s);
const startOf = (s: string) => (isDate(s) ? `${s}T00:00:00.000Z` : s);
/** A date as `to` means the whole of that day. */
const endOf = (s: string) => (isDate(s) ? new Date(Date.parse(`${s}T00:00:00.000Z`) + DAY).toISOString() : s);

/** The period asked for: from/to when given (from alone runs to now), else the window (default 30 days). */
function periodOf(q: z.output<typeof adoptionQuery>, now: number): { range: TimeRange; window: string | null } {
  const from = q.from || undefined;
  const to = q.to || undefined;
  if (!from && !to) {
    const window = q.window ?? '30d';
    return { range: { from: new Date(now - windowMs(window)), to: new Date(now) }, window };
  }
  if (q.window) throw badRequest('invalid_parameter', 'window: give either a window or from/to, not both');
  const range = resolveRange({ from: from ? startOf(from) : undefined, to: to ? endOf(to) : undefined }, 30 * DAY, now);
  return { range, window: null };
}

/** GET /adoption: the adoption dashboard (admin only; enforced by the pages router before this). */
export function adoptionPages(deps: PageDeps): Router {
  const router = Router();
  router.get('/adoption', async (req, res) => {
    const q = parseQuery(adoptionQuery, req.query);
    const { range, window } = periodOf(q, deps.clock.now());
    const adoption = await getAdoptionPage(deps.driver, deps.config.value, range);
    const lastDay = new Date(range.to.getTime() - 1).toISOString().slice(0, 10);
    const body = {
      adoption,
      window,
      windows: WINDOWS.map((w) => ({ value: w, name: `Last ${Number.parseInt(w, 10)} days`, current: w === window })),
      period: window ? `the last ${Number.parseInt(window, 10)} days` : `${range.from.toISOString().slice(0, 10)} to ${lastDay}`,
      form: { from: range.from.toISOString().slice(0, 10), to: lastDay },
      empty: adoption.integrations.length === 0,
    };
    sendPage(res, deps.renderer.render('adoption', pageContext(res, deps.clock, 'Adoption', { page: 'adoption' }, body)));
  });
  return router;
}
