import cookieParser from 'cookie-parser';
import { Router, type NextFunction, type Request, type Response } from 'express';
import type { Logger } from 'pino';
import { knownError } from '../errors.js';
import type { StoreOutage } from '../store-outage.js';
import type { Metrics } from '../../metrics.js';
import { pageAccess, requireAdminPage, requireTenantPage, withoutAccess, type PageAccessDeps } from './access.js';
import { adoptionPages } from './adoption.js';
import { pageContext, sendPage, type PageDeps } from './context.js';
import { loginPages } from './login.js';
import { overviewPages } from './overview.js';
import { statusPages } from './status.js';
import { valuePages } from './value.js';

export { createPageRenderer, type PageRenderer } from './render.js';
export type { PageDeps } from './context.js';

/**
 * The web pages (docs/architecture.md#pages-and-reports): server-rendered HTML for customers (/status/:tenant,
 * /reports/:tenant) and operators (/, /adoption), behind page access (access.ts). Errors
 * here are HTML pages, not the API's JSON.
 */
export function pagesRouter(deps: PageDeps, access: PageAccessDeps, log: Logger, metrics: Metrics, outage: StoreOutage): Router {
  const router = Router();
  router.use(cookieParser());
  router.use(loginPages(deps, access));
  const resolve = pageAccess(access);
  router.use('/status/:tenant', resolve, requireTenantPage());
  router.use('/reports/:tenant', resolve, requireTenantPage());
  router.get(['/', '/adoption'], resolve, requireAdminPage());
  router.use(statusPages(deps));
  router.use(valuePages(deps));
  router.use(overviewPages(deps));
  router.use(adoptionPages(deps));
  router.use(pageErrorHandler(deps, log, metrics, outage));
  return router;
}

/** Errors on pages are pages: 401 offers sign-in, 403/404 say what is wrong, 500 is logged. */
function pageErrorHandler(deps: PageDeps, log: Logger, metrics: Metrics, outage: StoreOutage) {
  return async (err: unknown, req: Request, res: Response, _next: NextFunction) => {
    let status = 500;
    let message = 'Something went wrong on our side; it has been logged.';
    const known = knownError(err) ?? (await outage.classify(err));
    if (known) {
      status = known.status;
      message = known.message;
      for (const [k, v] of Object.entries(known.headers)) res.set(k, v);
    } else {
      metrics.unexpectedErrors.inc();
      log.error({ err, method: req.method, path: req.path }, 'unexpected error on a page');
    }
    const heading = status === 401 ? 'Sign in to see this page' : status === 403 ? 'Not available with this access' : status === 404 ? 'Not found' : status === 503 ? 'Temporarily unavailable' : status < 500 ? 'That request did not work' : 'Something went wrong';
    const html = deps.renderer.render(
      'error',
      pageContext(res, deps.clock, heading, { page: 'error' }, { heading, message, login: status === 401 || status === 403, next: withoutAccess(req.originalUrl) }),
    );
    sendPage(res, html, status);
  };
}
