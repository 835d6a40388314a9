import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Handlebars from 'handlebars';

/** templates/ at the package root, from src/notify (tsx) and from dist/notify (built) alike. */
export const TEMPLATES_DIR = fileURLToPath(new URL('../../templates/', import.meta.url));

/** Formats money in its own currency: 12345.5 EUR → "€12,345.50". */
export function formatMoney(amount: unknown, currency: unknown): string {
  const n = Number(amount);
  if (!Number.isFinite(n)) return '';
  const code = typeof currency === 'string' ? currency.toUpperCase() : '';
  try {
    if (/^[A-Z]{3}$/.test(code)) return new Intl.NumberFormat('en-US', { style: 'currency', currency: code }).format(n);
  } catch {
    // an unknown ISO code: fall through to the plain number
  }
  return `${new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 }).format(n)}${code ? ` ${code}` : ''}`;
}

/** Formats a time (epoch ms or ISO string) unambiguously for any reader: "2026-11-22 12:00 UTC". */
export function formatTime(value: unknown): string {
  if (value === null || value === undefined || value === '') return '';
  const d = new Date(typeof value === 'number' ? value : String(value));
  return Number.isNaN(d.getTime()) ? '' : `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

const SEVERITY_COLOURS: Record<string, string> = { critical: '#b42318', warning: '#b54708', info: '#175cd3', resolved: '#067647' };

/** "12 minutes ago", "3 days ago", "in 5 minutes" — `value` relative to `now` (both epoch ms or ISO). */
export function formatAgo(value: unknown, now: unknown): string {
  const toMs = (v: unknown) => (typeof v === 'number' ? v : Date.parse(String(v)));
  if (value === null || value === undefined || value === '') return 'never';
  const t = toMs(value);
  const n = toMs(now);
  if (!Number.isFinite(t) || !Number.isFinite(n)) return '';
  const diff = n - t;
  const abs = Math.abs(diff);
  const units: [number, string][] = [
    [86_400_000, 'day'],
    [3_600_000, 'hour'],
    [60_000, 'minute'],
  ];
  if (abs < 60_000) return 'just now';
  const [size, unit] = units.find(([u]) => abs >= u)!;
  const count = Math.floor(abs / size);
  const phrase = `${count} ${unit}${count === 1 ? '' : 's'}`;
  return diff >= 0 ? `${phrase} ago` : `in ${phrase}`;
}

/** A ratio as a percentage: 0.9876 → "98.8%"; null/undefined → "–". */
export function formatPercent(ratio: unknown): string {
  if (ratio === null || ratio === undefined || ratio === '') return '–';
  const n = Number(ratio);
  if (!Number.isFinite(n)) return '–';
  return `${new Intl.NumberFormat('en-US', { maximumFractionDigits: n > 0.999 && n < 1 ? 2 : 1 }).format(n * 100)}%`;
}

/** A count with thousands separators: 12345 → "12,345". */
export function formatNumber(value: unknown): string {
  const n = Number(value);
  return Number.isFinite(n) ? new Intl.NumberFormat('en-US', { maximumFractionDigits: 1 }).format(n) : '';
}

/** The one handlebars factory of syncwatch (emails, reports, pages), with its helpers (STYLE.md). */
export function createHandlebars(): typeof Handlebars {
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
  const hb = createHandlebars();
  const partialsDir = path.join(dir, 'partials');
  if (existsSync(partialsDir)) {
    for (const file of readdirSync(partialsDir).filter((f) => f.endsWith('.hbs'))) {
      hb.registerPartial(file.replace(/\.hbs$/, ''), readFileSync(path.join(partialsDir, file), 'utf8'));
    }
  }
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
