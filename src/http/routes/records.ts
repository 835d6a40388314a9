import { Router, type RequestHandler } from 'express';
import { z } from 'zod';
import { badRequest } from '../../errors.js';
import { getRecordAttempts, getRecordStatus, type Driver } from '../../store/index.js';
import { readableTenant } from '../auth.js';
import { parseQuery } from '../validate.js';

export const recordQuery = z.object({
  tenant: z.string().min(1, 'must not be empty').optional(),
  record_id: z.string().min(1, 'is required').max(256),
  integration: z.string().min(1).optional(),
});

/**
 * GET /v1/records: every attempt to move one record, oldest first, and where it stands
 * now — the latest attempt's status, and whether a failure was cleared by a later sync.
 */
export function recordsRouter(driver: Driver, guard: RequestHandler): Router {
  const router = Router();
  router.get('/v1/records', guard, async (req, res) => {
    const q = parseQuery(recordQuery, req.query);
    const tenant = readableTenant(res, q.tenant);
    if (tenant === undefined) throw badRequest('invalid_parameter', 'tenant: is required');
    const lookup = { tenant, recordId: q.record_id, integration: q.integration };
    const [attempts, current] = await Promise.all([getRecordAttempts(driver, lookup), getRecordStatus(driver, lookup)]);
    res.json({
      tenant,
      record_id: q.record_id,
      status: current.status,
      resolved_by_later_sync: current.resolvedByLaterSync,
      last_synced_at: current.lastSyncedAt,
      last_failed_at: current.lastFailedAt,
      attempts,
    });
  });
  return router;
}
