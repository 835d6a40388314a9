import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { AppError } from '../errors.js';

/**
 * Middleware: a body whose declared Content-Length exceeds `limitBytes` is a 413 at once,
 * and the connection is closed after the answer. body-parser notices the same, but then
 * waits for the whole declared body before answering, so `Content-Length: 10^12` held a
 * socket until the server's request timeout.
 */
export function limitDeclaredLength(limitBytes: number): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (!(declared > limitBytes)) return next();
    res.set('Connection', 'close');
    next(new AppError('body_too_large', `body is larger than the limit of ${limitBytes} bytes; send smaller batches`, 413));
  };
}

/**
 * A JSON body of at most `limitBytes`, or a 415 naming the type expected. express.json()
 * alone leaves `req.body` undefined for any other Content-Type, and a route reading
 * `req.body ?? {}` would then take "no body" for "an empty document": a PUT of
 * subscriptions sent as text/plain used to wipe them and answer 200.
 */
export function jsonBody(limitBytes: number): RequestHandler[] {
  const requireJson = (req: Request, _res: Response, next: NextFunction) => {
    if (req.is(['application/json', '+json'])) return next();
    const sent = req.get('content-type');
    next(new AppError('unsupported_media_type', `Content-Type must be application/json${sent ? ` (got ${sent.slice(0, 100)})` : ''}`, 415));
  };
  return [limitDeclaredLength(limitBytes), requireJson, express.json({ limit: limitBytes, type: ['application/json', '+json'] })];
}
