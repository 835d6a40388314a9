import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Handlebars from 'handlebars';
import { formatAgo, formatMoney, formatNumber, formatPercent, formatTime } from '../format/index.js';

// The formatters live in src/format (one vocabulary for pages, emails and webhooks); notify re-exports them.
export { formatAgo, formatMoney, formatNumber, formatPercent, formatTime };

const SEVERITY_COLOURS: Record<string, string> = { critical: '#b42318', warning: '#b54708', info: '#175cd3', resolved: '#067647' };

/** templates/ at the package root, from src/notify (tsx) and from dist/notify (built) alike. */
export const TEMPLATES_DIR = fileURLToPath(new URL('../../templates/', import.meta.url));


/**
 * The one handlebars factory of syncwatch (emails, reports, pages), with its helpers, and
 * with every `*.hbs` of `partialsDir` (when it exists) as a partial named after its file.
 */
export function createHandlebars(partialsDir?: string): typeof Handlebars {
  const hb = Handlebars.create();
  hb.registerHelper('money', (amount: unknown, currency: unknown) => formatMoney(amount, currency));
  hb.registerHelper('time', (value: unknown) => formatTime(value));
  hb.registerHelper('plural', (count: unknown, singular: unknown, plural: unknown) =>
    Number(count) === 1 ? String(singular) : typeof plural === 'string' ? plural : `${String(singular)}s`,
  );
  hb.registerHelper('eq', (a: unknown, b: unknown) => a === b);
  hb.registerHelper('colour', (severity: unknown) => SEVERITY_COLOURS[String(severity)] ?? '#344054');
  hb.registerHelper('upper', (s: unknown) => String(s ?? '').toUpperCase());
  hb.registerHelper('ago', (value: unknown, now: unknown) => formatAgo(value, now));
  hb.registerHelper('percent', (ratio: unknown) => formatPercent(ratio));
  hb.registerHelper('number', (value: unknown) => formatNumber(value));
  hb.registerHelper('encode', (s: unknown) => encodeURIComponent(String(s ?? '')));
  if (partialsDir && existsSync(partialsDir)) {
    for (const file of readdirSync(partialsDir).filter((f) => f.endsWith('.hbs'))) {
      hb.registerPartial(file.replace(/\.hbs$/, ''), readFileSync(path.join(partialsDir, file), 'utf8'));
    }
  }
  return hb;
}

/** An email's two bodies. */
export interface RenderedEmail {
  html: string;
  text: string;
}

/** Renders `templates/<name>.html.hbs` and `templates/<name>.txt.hbs`. */
export interface EmailRenderer {
  render(name: string, context: object): RenderedEmail;
  has(name: string): boolean;
}

/**
 * Compiles the templates on first use and keeps them. HTML templates escape every
 * `{{value}}` (handlebars' default), so hostile business ids arrive as text; plain-text
 * templates are compiled with noEscape (there is no markup to protect, and `&lt;` would
 * only garble the text). Partials come from templates/partials/*.hbs.
 */
export function createEmailRenderer(dir: string = TEMPLATES_DIR): EmailRenderer {
  const hb = createHandlebars(path.join(dir, 'partials'));
  const compiled = new Map<string, { html: Handlebars.TemplateDelegate; text: Handlebars.TemplateDelegate }>();
  const file = (name: string, kind: 'html' | 'txt') => path.join(dir, `${name}.${kind}.hbs`);
  const safeName = (name: string) => /^[a-z0-9-]+$/.test(name);

  return {
    has: (name) => safeName(name) && existsSync(file(name, 'html')) && existsSync(file(name, 'txt')),
    render(name, context) {
      let t = compiled.get(name);
      if (!t) {
        if (!safeName(name)) throw new Error(`invalid template name: ${name}`);
        t = {
          html: hb.compile(readFileSync(file(name, 'html'), 'utf8'), { strict: false }),
          text: hb.compile(readFileSync(file(name, 'txt'), 'utf8'), { noEscape: true }),
        };
        compiled.set(name, t);
      }
      return { html: t.html(context), text: t.text(context).replace(/\n{3,}/g, '\n\n') };
    },
  };
}
