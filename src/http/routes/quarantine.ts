import { Router, type RequestHandler } from 'express';
import { z } from 'zod';
import { discardQuarantined, QUARANTINE_BATCH, replayQuarantined, type Ingest } from '../../ingest/index.js';
import { listQuarantined, type Driver, type QuarantinedRow } from '../../store/index.js';
import { jsonBody } from '../body.js';
import { parseQuery } from '../validate.js';

export const quarantineQuery = z.object({
  state: z.enum(['quarantined', 'replayed', 'discarded', 'all']).default('quarantined'),
  tenant: z.string().min(1).max(128).optional(),
  limit: z.coerce.number().int().min(1).max(QUARANTINE_BATCH).default(100),
});

/** A replay or discard names its rows, or says `all` explicitly: an empty body never means everything. */
export const quarantineSelection = z.union([
  z.strictObject({ ids: z.array(z.string().min(1).max(64)).min(1).max(QUARANTINE_BATCH) }),
  z.strictObject({ all: z.literal(true) }),
], { error: 'the body must be {"ids": ["…"]} or {"all": true}' });

function view(r: QuarantinedRow) {
  let row: unknown = r.row;
  try {
    row = JSON.parse(r.row);
  } catch {
    // Shown as the text it is.
  }
  return { id: r.id, quarantined_at: r.quarantinedAt, kind: r.kind, tenant: r.tenant, event_id: r.eventId, reason: r.reason, state: r.state, updated_at: r.updatedAt, row };
}

/**
 * The ingest quarantine (admin): rows the store refused at flush, with the engine's
 * reason. GET lists them; POST …/replay puts them back through ingest after a fix;
 * POST …/discard drops them for good.
 */
export function quarantineRouter(driver: Driver, ingest: Ingest, guard: RequestHandler): Router {
  const router = Router();
  router.get('/v1/ingest/quarantine', guard, async (req, res) => {
    const q = parseQuery(quarantineQuery, req.query);
    const rows = await listQuarantined(driver, { state: q.state === 'all' ? undefined : q.state, tenant: q.tenant, limit: q.limit });
    res.json({ rows: rows.map(view) });
  });
  router.post('/v1/ingest/quarantine/replay', guard, ...jsonBody(256 * 1024), async (req, res) => {
    const sel = parseQuery(quarantineSelection, req.body ?? {});
    res.json({ replayed: await replayQuarantined(driver, ingest.batcher, sel, ingest.clock.now()) });
  });
  router.post('/v1/ingest/quarantine/discard', guard, ...jsonBody(256 * 1024), async (req, res) => {
    const sel = parseQuery(quarantineSelection, req.body ?? {});
    res.json({ discarded: await discardQuarantined(driver, sel, ingest.clock.now()) });
  });
  return router;
}
