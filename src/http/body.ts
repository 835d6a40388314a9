import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { AppError } from '../errors.js';

/**
 * A JSON body, or a 415 naming the type expected. express.json() alone leaves `req.body`
 * undefined for any other Content-Type, and a route reading `req.body ?? {}` would then
 * take "no body" for "an empty document" — a PUT of subscriptions sent as text/plain used
 * to wipe them and answer 200.
 */
export function jsonBody(limit: string): RequestHandler[] {
  const requireJson = (req: Request, _res: Response, next: NextFunction) => {
    if (req.is(['application/json', '+json'])) return next();
    const sent = req.get('content-type');
    next(new AppError('unsupported_media_type', `Content-Type must be application/json${sent ? ` (got ${sent.slice(0, 100)})` : ''}`, 415));
  };
  return [requireJson, express.json({ limit, type: ['application/json', '+json'] })];
}
