import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';
import { AppError } from '../errors.js';
import type { Metrics } from '../metrics.js';
import type { StoreOutage } from './store-outage.js';

interface BodyParserError extends Error {
  status?: number;
  type?: string;
  limit?: number;
}

/** Maps body-parser's and the router's own errors (size, encoding, bad path) to ours. */
function fromBodyParser(err: BodyParserError): AppError | null {
  if (err instanceof URIError && err.status === 400) {
    return new AppError('invalid_path', `the path has a bad percent-encoding (${err.message}); encode "%" as %25`, 400);
  }
  switch (err.type) {
    case 'entity.too.large':
      return new AppError('body_too_large', `body is larger than the limit of ${err.limit} bytes; send smaller batches`, 413);
    case 'encoding.unsupported':
      return new AppError('unsupported_encoding', `${err.message}; send identity or gzip`, 415);
    case 'request.aborted':
      return new AppError('request_aborted', 'the client aborted the request', 400);
    case 'request.size.invalid':
      return new AppError('invalid_length', 'request size did not match Content-Length', 400);
    default:
      if (err.status && err.status >= 400 && err.status < 500) {
        return new AppError('invalid_body', `could not read the body: ${err.message}`, err.status);
      }
      return null;
  }
}

/** The AppError an error stands for, or null when it is unexpected (a 500). */
export function knownError(err: unknown): AppError | null {
  if (err instanceof AppError) return err;
  return err instanceof Error ? fromBodyParser(err as BodyParserError) : null;
}

/** The one error middleware: `{"error": {"code", "message"}}` with the right status. */
export function errorHandler(log: Logger, metrics: Metrics, outage: StoreOutage) {
  return async (err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const known = knownError(err) ?? (await outage.classify(err));
    if (known) {
      for (const [k, v] of Object.entries(known.headers)) res.set(k, v);
      return res.status(known.status).json({ error: { code: known.code, message: known.message } });
    }
    metrics.unexpectedErrors.inc();
    log.error({ err, method: req.method, path: req.path }, 'unexpected error');
    res.status(500).json({ error: { code: 'internal', message: 'unexpected error; it has been logged' } });
  };
}

/** 404 for unknown routes, in the same error shape. */
export function notFoundHandler(req: Request, res: Response) {
  res.status(404).json({ error: { code: 'not_found', message: `no route for ${req.method} ${req.path}` } });
}
