import { readFileSync } from 'node:fs';
import path from 'node:path';
import type Handlebars from 'handlebars';
import { createHandlebars, TEMPLATES_DIR } from '../../notify/index.js';
import { PALETTE } from '../../reports/index.js';

/** Renders `templates/pages/<name>.hbs` inside the shared layout partial. */
export interface PageRenderer {
  render(name: string, context: object): string;
}

const STATUS_LABELS: Record<string, string> = {
  healthy: 'Healthy',
  degraded: 'Degraded',
  failing: 'Failing',
  stale: 'Stale',
  disabled: 'Disabled',
  unknown: 'No data yet',
};

/**
 * Pages use the same handlebars factory as emails, plus page helpers. Every `{{value}}` is
 * escaped; the only triple-stash values are charts built by src/reports/charts.ts, which
 * escapes its own labels. Templates are compiled once and kept.
 */
export function createPageRenderer(dir: string = path.join(TEMPLATES_DIR, 'pages')): PageRenderer {
  const hb = createHandlebars(path.join(dir, 'partials'));
  hb.registerHelper('statusLabel', (status: unknown) => STATUS_LABELS[String(status)] ?? String(status ?? ''));
  hb.registerHelper('statusColour', (status: unknown) => (PALETTE as Record<string, string>)[String(status)] ?? PALETTE.unknown);
  hb.registerHelper('json', (value: unknown) => JSON.stringify(value ?? null));
  const compiled = new Map<string, Handlebars.TemplateDelegate>();
  return {
    render(name, context) {
      let t = compiled.get(name);
      if (!t) {
        if (!/^[a-z0-9-]+$/.test(name)) throw new Error(`invalid page name: ${name}`);
        t = hb.compile(readFileSync(path.join(dir, `${name}.hbs`), 'utf8'), { strict: false });
        compiled.set(name, t);
      }
      return t(context);
    },
  };
}
