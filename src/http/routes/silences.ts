import { Router, type RequestHandler } from 'express';
import { z } from 'zod';
import { createSilence, expireSilence, listSilences, newSilenceSchema, silenceState, silenceView } from '../../alerts/index.js';
import type { Driver } from '../../store/index.js';
import { jsonBody } from '../body.js';
import { parseQuery } from '../validate.js';

export const silencesQuery = z.object({ state: z.enum(['active', 'pending', 'expired', 'all']).default('all') });
export const silenceIdParam = z.object({ id: z.string().min(1).max(64) });

/** POST /v1/silences (create), GET /v1/silences (list), DELETE /v1/silences/:id (expire now). Admin only. */
export function silencesRouter(driver: Driver, deps: { now: () => number }, guard: RequestHandler): Router {
  const router = Router();
  router.get('/v1/silences', guard, async (req, res) => {
    const q = parseQuery(silencesQuery, req.query);
    const now = deps.now();
    const silences = (await listSilences(driver)).filter((s) => q.state === 'all' || silenceState(s, now) === q.state);
    res.json({ silences: silences.map((s) => silenceView(s, now)) });
  });
  router.post('/v1/silences', guard, ...jsonBody(64 * 1024), async (req, res) => {
    const body = parseQuery(newSilenceSchema, req.body ?? {});
    const now = deps.now();
    res.status(201).json(silenceView(await createSilence(driver, body, now), now));
  });
  router.delete('/v1/silences/:id', guard, async (req, res) => {
    const { id } = parseQuery(silenceIdParam, { id: req.params.id });
    const now = deps.now();
    res.json(silenceView(await expireSilence(driver, id, now), now));
  });
  return router;
}
