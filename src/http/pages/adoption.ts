import { Router } from 'express';
import type { PageDeps } from './context.js';

/** Placeholder until the page is built (issue 5). */
export function adoptionPages(_deps: PageDeps): Router {
  return Router();
}
