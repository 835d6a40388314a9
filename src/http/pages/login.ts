import express, { Router } from 'express';
import { z } from 'zod';
import type { KeyRing } from '../auth.js';
import { limitDeclaredLength } from '../body.js';
import { grantForKey, SESSION_COOKIE, setSession, type PageAccessDeps } from './access.js';
import { pageContext, sendPage, type PageDeps } from './context.js';

/** Only same-site paths are followed after sign-in (no open redirect). */
const safeNext = (next: unknown): string | null => (typeof next === 'string' && /^\/(?![/\\])/.test(next) ? next : null);

/** A sign-in form is a key and a path; anything larger is a 413 page. */
const LOGIN_BODY_BYTES = 8 * 1024;

const loginBody = z.object({ key: z.string().trim().max(512).default(''), next: z.string().max(2048).optional() });

/** GET/POST /login (a key becomes a 12-hour session cookie) and GET /logout. */
export function loginPages(deps: PageDeps, access: PageAccessDeps & { keys: KeyRing }): Router {
  const router = Router();
  const form = (res: express.Response, next: string, error?: string, status = 200) =>
    sendPage(res, deps.renderer.render('login', pageContext(res, deps.clock, 'Sign in', { page: 'login' }, { next, error })), status);

  router.get('/login', (req, res) => form(res, safeNext(req.query.next) ?? ''));
  router.post('/login', limitDeclaredLength(LOGIN_BODY_BYTES), express.urlencoded({ extended: false, limit: LOGIN_BODY_BYTES }), (req, res) => {
    const body = loginBody.safeParse(req.body ?? {});
    const next = safeNext(body.success ? body.data.next : undefined);
    const principal = body.success && body.data.key ? access.keys.find(body.data.key) : null;
    const grant = principal ? grantForKey(principal, deps.clock.now()) : null;
    if (!grant) return form(res, next ?? '', principal ? 'Ingest keys cannot open pages; use an admin or tenant key.' : 'That key is not valid.', 401);
    setSession(res, access, grant);
    const home = grant.role === 'admin' ? '/' : `/status/${encodeURIComponent(grant.tenants?.[0] ?? '')}`;
    res.redirect(303, next ?? home);
  });
  router.get('/logout', (_req, res) => {
    res.clearCookie(SESSION_COOKIE, { path: '/' });
    res.redirect(303, '/login');
  });
  return router;
}
