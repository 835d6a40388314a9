import express, { Router } from 'express';
import { AppError } from '../../errors.js';
import { encodeTraceResponse, OtlpDecodeError, parseEventsBody, type Ingest } from '../../ingest/index.js';
import type { Metrics } from '../../metrics.js';
import type { Principal } from '../auth.js';
import { limitDeclaredLength } from '../body.js';

/** POST /v1/events and POST /v1/traces (OTLP/HTTP). */
export function ingestRouter(ingest: Ingest, metrics: Metrics, maxBodyBytes: number, guard: express.RequestHandler): Router {
  const router = Router();
  // Raw bytes for both: we decode ourselves (NDJSON, protobuf); body-parser handles size and gzip.
  const raw = [limitDeclaredLength(maxBodyBytes), express.raw({ type: () => true, limit: maxBodyBytes, inflate: true })];

  router.post('/v1/events', guard, ...raw, async (req, res) => {
    const principal = res.locals.principal as Principal;
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const items = parseEventsBody(body, req.get('content-type') ?? 'application/json');
    const result = await ingest.acceptEvents(items, principal.tenants);
    metrics.acceptedEvents.inc({ source: 'events' }, result.accepted);
    metrics.rejectedEvents.inc({ source: 'events' }, result.rejected.length);
    res.status(202).json(result);
  });

  router.post('/v1/traces', guard, ...raw, async (req, res) => {
    const principal = res.locals.principal as Principal;
    const type = (req.get('content-type') ?? '').toLowerCase();
    const encoding = type.includes('protobuf') ? 'protobuf' : type.includes('json') ? 'json' : null;
    if (!encoding) {
      throw new AppError('unsupported_media_type', 'Content-Type must be application/x-protobuf or application/json (OTLP/HTTP)', 415);
    }
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    let result;
    try {
      result = await ingest.acceptTraces(body, encoding, principal.tenants);
    } catch (err) {
      if (err instanceof OtlpDecodeError) throw new AppError(err.code, err.message, 400);
      throw err;
    }
    metrics.acceptedEvents.inc({ source: 'traces' }, result.accepted);
    metrics.rejectedEvents.inc({ source: 'traces' }, result.rejected.length);
    const partial = result.rejected.length
      ? { rejectedSpans: result.rejected.length, errorMessage: result.rejected.slice(0, 5).map((r) => `span ${r.spanId}: ${r.error}`).join('; ') }
      : null;
    res.status(200).type(encoding === 'protobuf' ? 'application/x-protobuf' : 'application/json').send(encodeTraceResponse(partial, encoding));
  });

  return router;
}
