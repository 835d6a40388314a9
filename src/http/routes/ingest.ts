import express, { Router } from 'express';
import { AppError } from '../../errors.js';
import { OtlpDecodeError, type Ingest } from '../../ingest/index.js';
import type { Metrics } from '../../metrics.js';
import { ingestAdmission, type Admission } from '../admission.js';
import type { Principal } from '../auth.js';
import { limitDeclaredLength } from '../body.js';
import { exportLogs, exportTraces } from '../otlp.js';

/**
 * POST /v1/events, and POST /v1/traces and /v1/logs (OTLP/HTTP). Each passes the admission
 * limit (admission.ts) after its key and declared size are checked and before its body is read.
 */
export function ingestRouter(ingest: Ingest, metrics: Metrics, maxBodyBytes: number, guard: express.RequestHandler, admission: Admission): Router {
  const router = Router();
  const { admit, admitted } = ingestAdmission(admission, () => metrics.refusedAtCapacity.inc({ transport: 'http' }));
  // Raw bytes for both: we decode ourselves (NDJSON, protobuf); body-parser handles size and gzip.
  const raw = [limitDeclaredLength(maxBodyBytes), admit, express.raw({ type: () => true, limit: maxBodyBytes, inflate: true })];

  router.post('/v1/events', guard, ...raw, async (req, res) => {
    const principal = res.locals.principal as Principal;
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const contentType = req.get('content-type') ?? 'application/json';
    const result = await admitted(res, body.length, () => ingest.acceptEventsBody(body, contentType, principal.tenants));
    metrics.acceptedEvents.inc({ source: 'events' }, result.accepted);
    metrics.rejectedEvents.inc({ source: 'events' }, result.rejected.length);
    res.status(202).json(result);
  });

  // OTLP/HTTP: the body's encoding follows its Content-Type, and so does the response's.
  const otlp = (exportFn: typeof exportTraces) => async (req: express.Request, res: express.Response) => {
    const principal = res.locals.principal as Principal;
    const type = (req.get('content-type') ?? '').toLowerCase();
    const encoding = type.includes('protobuf') ? 'protobuf' : type.includes('json') ? 'json' : null;
    if (!encoding) {
      throw new AppError('unsupported_media_type', 'Content-Type must be application/x-protobuf or application/json (OTLP/HTTP)', 415);
    }
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    let response: Buffer;
    try {
      response = await admitted(res, body.length, () => exportFn(ingest, metrics, body, encoding, principal.tenants));
    } catch (err) {
      if (err instanceof OtlpDecodeError) throw new AppError(err.code, err.message, 400);
      throw err;
    }
    res.status(200).type(encoding === 'protobuf' ? 'application/x-protobuf' : 'application/json').send(response);
  };
  router.post('/v1/traces', guard, ...raw, otlp(exportTraces));
  router.post('/v1/logs', guard, ...raw, otlp(exportLogs));

  return router;
}
