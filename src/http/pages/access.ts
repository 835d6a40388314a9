import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Clock } from '../../clock.js';
import { AppError } from '../../errors.js';
import type { AccessGrant, AccessSigner } from '../../links.js';
import type { KeyRing, Principal } from '../auth.js';

// Who is looking at a page (docs/architecture.md#access). Browsers cannot send a Bearer header on a
// link, so pages accept, in order: an `Authorization: Bearer` key (scripts, tests); a signed
// `?access=` token from an email, which is moved into a cookie at once and stripped from the
// address bar by a redirect (so it does not linger in history or leak in Referer); and the
// session cookie that /login or such a link set (read by cookie-parser, mounted by the
// pages router). Cookies are HttpOnly and SameSite=Lax.

export const SESSION_COOKIE = 'syncwatch_session';
const SESSION_MS = 12 * 3_600_000;

/** What pages need to know who is asking. */
export interface PageAccessDeps {
  keys: KeyRing;
  signer: AccessSigner;
  clock: Clock;
  /** Set the Secure flag on cookies (public URL is https). */
  secureCookies: boolean;
}

const ADMIN: Principal = { role: 'admin', tenants: null };

const principalOf = (grant: AccessGrant): Principal => ({ role: grant.role, tenants: grant.tenants ? new Set(grant.tenants) : null });

/** Sets the session cookie carrying a signed grant. */
export function setSession(res: Response, deps: PageAccessDeps, grant: AccessGrant): void {
  res.cookie(SESSION_COOKIE, deps.signer.sign(grant), {
    httpOnly: true,
    sameSite: 'lax',
    secure: deps.secureCookies,
    path: '/',
    maxAge: Math.max(0, grant.expiresAt - deps.clock.now()),
  });
}

/** A grant for a key typed into /login: the key's role and tenants, for a working day. */
export function grantForKey(principal: Principal, now: number): AccessGrant | null {
  if (principal.role === 'ingest') return null;
  return { role: principal.role, tenants: principal.tenants ? [...principal.tenants] : null, expiresAt: now + SESSION_MS };
}

/**
 * The request's own address without its `?access=` token. The path is kept as sent (not
 * resolved the way `new URL` resolves `%2e%2e` segments, which could turn
 * `/status/%2e%2e/%2e%2e//evil.example` into `//evil.example`, another site), and leading
 * slashes are collapsed so the result is always a path on this site.
 */
export function withoutAccess(originalUrl: string): string {
  const q = originalUrl.indexOf('?');
  const path = (q < 0 ? originalUrl : originalUrl.slice(0, q)).replace(/^[/\\]+/, '/');
  const query = new URLSearchParams(q < 0 ? '' : originalUrl.slice(q + 1));
  query.delete('access');
  const rest = query.toString();
  return `${path}${rest ? `?${rest}` : ''}`;
}

/**
 * Resolves the principal of a page request into `res.locals.principal` (or leaves it unset
 * for anonymous visitors). A valid `?access=` token becomes the session and the request is
 * redirected to the same address without it; an invalid one is a 401 page.
 */
export function pageAccess(deps: PageAccessDeps): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    if (deps.keys.open) {
      res.locals.principal = ADMIN;
      return next();
    }
    const now = deps.clock.now();
    const bearer = /^Bearer\s+(\S+)$/i.exec(req.get('authorization') ?? '');
    if (bearer) {
      const principal = deps.keys.find(bearer[1]);
      if (!principal) return next(new AppError('unauthorized', 'the API key is not valid', 401));
      res.locals.principal = principal;
      return next();
    }
    const access = typeof req.query.access === 'string' ? req.query.access : undefined;
    if (access !== undefined) {
      const grant = deps.signer.verify(access, now);
      if (!grant) return next(new AppError('link_expired', 'this link has expired or is not valid; ask for a new one or sign in with a key', 401));
      setSession(res, deps, grant);
      return res.redirect(303, withoutAccess(req.originalUrl));
    }
    const cookie = (req.cookies as Record<string, unknown> | undefined)?.[SESSION_COOKIE];
    if (typeof cookie === 'string') {
      const grant = deps.signer.verify(cookie, now);
      if (grant) res.locals.principal = principalOf(grant);
    }
    next();
  };
}

/** The page's principal, if any. */
export const pagePrincipal = (res: Response): Principal | undefined => res.locals.principal as Principal | undefined;

/** Pages for one tenant (`:tenant` in the path): that tenant's key, link or session, or admin. */
export function requireTenantPage(): RequestHandler {
  return (req, res, next) => {
    const principal = pagePrincipal(res);
    if (!principal) return next(new AppError('unauthorized', 'sign in with your API key or open the link from your latest syncwatch email', 401));
    const tenant = String(req.params.tenant ?? '');
    const allowed = principal.role === 'admin' || (principal.role === 'tenant' && principal.tenants !== null && principal.tenants.has(tenant));
    // Same answer whether the tenant exists or not: a page never reveals other tenants.
    if (!allowed) return next(new AppError('forbidden', 'your access does not include this tenant', 403));
    next();
  };
}

/**
 * Internal pages (overview, adoption): admin only. A signed-out browser is sent to
 * /login (and back here after), as the home page of any web app does; a tenant page keeps
 * its 401 page, which explains that its link may have expired.
 */
export function requireAdminPage(): RequestHandler {
  return (req, res, next) => {
    const principal = pagePrincipal(res);
    if (!principal) return res.redirect(303, `/login?next=${encodeURIComponent(withoutAccess(req.originalUrl))}`);
    if (principal.role !== 'admin') return next(new AppError('forbidden', 'this page is for operators (admin keys) only', 403));
    next();
  };
}
