import type { Response } from 'express';
import type { Clock } from '../../clock.js';
import type { Config } from '../../config.js';
import type { Links } from '../../links.js';
import type { Notifier } from '../../notify/index.js';
import type { Driver } from '../../store/index.js';
import { pagePrincipal } from './access.js';
import type { PageRenderer } from './render.js';

/** What every page module receives. */
export interface PageDeps {
  config: Config;
  driver: Driver;
  clock: Clock;
  renderer: PageRenderer;
  links: Links;
  /** The notify capability (the overview lists recent deliveries and dead letters); absent in some embeddings. */
  notifier?: Notifier;
}

/** Which page is showing and for which tenant, for the navigation bar. */
export interface PageNav {
  page: 'overview' | 'adoption' | 'status' | 'value' | 'run' | 'login' | 'error';
  tenant?: string;
}

/** The layout's context: title, navigation for this visitor, and `now` for "12 minutes ago". */
export function pageContext(res: Response, clock: Clock, title: string, nav: PageNav, body: object = {}): object {
  const principal = pagePrincipal(res);
  const admin = principal?.role === 'admin';
  const who = !principal ? '' : admin ? 'operator' : `tenant ${[...(principal.tenants ?? [])].join(', ')}`;
  return {
    title,
    now: clock.now(),
    nav: { page: nav.page, tenant: nav.tenant, admin, signedIn: principal !== undefined, who },
    ...body,
  };
}

/** Sends a rendered page: HTML, never cached by shared caches (pages carry tenant data). */
export function sendPage(res: Response, html: string, status = 200): void {
  res.status(status).set('Cache-Control', 'private, no-store').type('html').send(html);
}
