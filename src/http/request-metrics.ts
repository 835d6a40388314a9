import type { Request, RequestHandler } from 'express';
import type { Metrics } from '../metrics.js';

/** The route pattern a request matched (`/v1/runs/:run/report`), never its URL: labels stay few. */
function routeOf(req: Request): string {
  const path: unknown = req.route?.path;
  if (typeof path === 'string') return req.baseUrl + path;
  if (Array.isArray(path)) return req.baseUrl + path.join('|');
  return 'other';
}

/** Middleware: times every request into `syncwatch_http_request_duration_seconds`. */
export function requestMetrics(metrics: Metrics): RequestHandler {
  return (req, res, next) => {
    const end = metrics.httpDuration.startTimer();
    res.on('finish', () => end({ method: req.method, route: routeOf(req), status: String(res.statusCode) }));
    next();
  };
}
