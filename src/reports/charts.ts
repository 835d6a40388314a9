// Small inline-SVG charts for emails and pages (docs/architecture.md#pages-and-reports). Email-safe on purpose:
// only rect/line/polyline/text with presentation attributes (no CSS classes, no scripts,
// no external fonts), fixed width/height attributes, and a <title> plus aria-label so the
// figure reads as text where SVG is not drawn. Every label passes through escapeXml.
import { numberFormat } from '../format/index.js';

/** Escapes text for SVG/HTML content and attribute values. */
export function escapeXml(s: unknown): string {
  return String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/**
 * Colours shared by pages and charts; status and category always also appear as text.
 * The colours of a set (statuses; failure categories) differ in lightness as well as hue,
 * so they stay apart for colour-blind readers and in grey print (test/pages/palette.test.ts
 * checks them under simulated protanopia, deuteranopia and tritanopia).
 */
export const PALETTE = {
  text: '#344054',
  muted: '#667085',
  grid: '#e4e7ec',
  primary: '#175cd3',
  previous: '#98a2b3',
  healthy: '#17b26a',
  degraded: '#fdb022',
  failing: '#b42318',
  stale: '#42307d',
  disabled: '#475467',
  unknown: '#98a2b3',
  infra: '#42307d',
  endpoint: '#f79009',
  data: '#d92d20',
} as const;

const FONT = 'font-family="Helvetica,Arial,sans-serif"';
const fmt = (n: number) => numberFormat({ maximumFractionDigits: n < 10 ? 1 : 0 }).format(n);
const r1 = (n: number) => Math.round(n * 10) / 10;

function frame(width: number, height: number, label: string, body: string): string {
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeXml(label)}">` +
    `<title>${escapeXml(label)}</title>${body}</svg>`
  );
}

const text = (x: number, y: number, s: string, attrs = '') =>
  `<text x="${r1(x)}" y="${r1(y)}" ${FONT} font-size="12" fill="${PALETTE.muted}" ${attrs}>${escapeXml(s)}</text>`;

/** One bar per point: a labelled series such as records per day. */
export interface BarPoint {
  label: string;
  value: number;
}

/** Vertical bars with the first, middle and last labels under them and a labelled y axis. */
export function barChart(points: BarPoint[], opts: { title: string; width?: number; height?: number; colour?: string }): string {
  const { width, height, top, plot, left, inner } = plotArea(opts, { width: 520, height: 120, top: 14 });
  const axis = yAxis(Math.max(0, ...points.map((p) => p.value)), { width, top, plot, left });
  const step = points.length ? inner / points.length : inner;
  const gap = Math.min(4, step * 0.2);
  let body = axis.body;
  points.forEach((p, i) => {
    const h = (p.value / axis.top) * plot;
    body += `<rect x="${r1(left + i * step + gap / 2)}" y="${r1(top + plot - h)}" width="${r1(Math.max(1, step - gap))}" height="${r1(h)}" fill="${opts.colour ?? PALETTE.primary}"><title>${escapeXml(`${p.label}: ${fmt(p.value)}`)}</title></rect>`;
  });
  body += bucketLabels(points.map((p) => p.label), step, height, left);
  return frame(width, height, opts.title, body);
}

/** A series of a stacked chart: its key in each bucket's values, its label and colour. */
export interface StackSeries {
  key: string;
  label: string;
  colour: string;
}

/** Stacked bars per time bucket (failures by category over time), with a legend. */
export function stackedBarChart(
  buckets: { label: string; values: Record<string, number> }[],
  series: StackSeries[],
  opts: { title: string; width?: number; height?: number },
): string {
  const { width, height, top, plot, left, inner } = plotArea(opts, { width: 560, height: 150, top: 22 });
  const totals = buckets.map((b) => series.reduce((sum, s) => sum + (b.values[s.key] ?? 0), 0));
  const axis = yAxis(Math.max(0, ...totals), { width, top, plot, left });
  const step = buckets.length ? inner / buckets.length : inner;
  const gap = Math.min(3, step * 0.2);
  let body = axis.body;
  buckets.forEach((b, i) => {
    let y = top + plot;
    for (const s of series) {
      const v = b.values[s.key] ?? 0;
      if (v <= 0) continue;
      const h = (v / axis.top) * plot;
      y -= h;
      body += `<rect x="${r1(left + i * step + gap / 2)}" y="${r1(y)}" width="${r1(Math.max(1, step - gap))}" height="${r1(h)}" fill="${s.colour}"><title>${escapeXml(`${b.label} ${s.label}: ${fmt(v)}`)}</title></rect>`;
    }
  });
  body += legend(series, left);
  body += bucketLabels(buckets.map((b) => b.label), step, height, left);
  return frame(width, height, opts.title, body);
}

/** Lines over shared x labels (active connections per day, one line per integration). */
export function lineChart(
  labels: string[],
  series: { label: string; colour: string; values: number[] }[],
  opts: { title: string; width?: number; height?: number },
): string {
  const { width, height, top, plot, left, inner } = plotArea(opts, { width: 560, height: 150, top: 22 });
  const axis = yAxis(Math.max(0, ...series.flatMap((s) => s.values)), { width, top, plot, left });
  const xAt = (i: number) => left + (labels.length <= 1 ? inner / 2 : (i / (labels.length - 1)) * (inner - 8) + 4);
  const yAt = (v: number) => top + plot - (v / axis.top) * plot;
  let body = axis.body;
  for (const s of series) {
    const pts = s.values.map((v, i) => `${r1(xAt(i))},${r1(yAt(v))}`).join(' ');
    body += `<polyline points="${pts}" fill="none" stroke="${s.colour}" stroke-width="2"><title>${escapeXml(s.label)}</title></polyline>`;
  }
  body += legend(series, left);
  for (const i of labelIndexes(labels.length)) {
    const anchor = i === 0 ? 'start' : i === labels.length - 1 ? 'end' : 'middle';
    body += text(xAt(i), height - 4, labels[i], `text-anchor="${anchor}"`);
  }
  return frame(width, height, opts.title, body);
}

/** A tiny trend line without axes, for table cells and summaries. */
export function sparkline(values: number[], opts: { title: string; width?: number; height?: number; colour?: string }): string {
  const width = opts.width ?? 120;
  const height = opts.height ?? 28;
  const max = Math.max(0, ...values);
  const xAt = (i: number) => (values.length <= 1 ? width / 2 : (i / (values.length - 1)) * (width - 2) + 1);
  const yAt = (v: number) => height - 2 - (max > 0 ? (v / max) * (height - 4) : 0);
  const pts = values.map((v, i) => `${r1(xAt(i))},${r1(yAt(v))}`).join(' ');
  return frame(width, height, opts.title, `<polyline points="${pts}" fill="none" stroke="${opts.colour ?? PALETTE.primary}" stroke-width="1.5"/>`);
}

/**
 * Horizontal bars, one per step, each with its count and its share of the first step.
 * Bars scale to the largest count (a later step can count more than the first when steps
 * are counted within a period), so no bar runs off the chart.
 */
export function funnelChart(steps: { label: string; count: number }[], opts: { title: string; width?: number; colour?: string }): string {
  const width = opts.width ?? 520;
  const row = 24;
  const labelWidth = 150;
  const height = steps.length * row + 4;
  const first = steps[0]?.count ?? 0;
  const max = Math.max(0, ...steps.map((s) => s.count));
  const barSpace = width - labelWidth - 90;
  let body = '';
  steps.forEach((s, i) => {
    const y = i * row + 4;
    const w = max > 0 ? (s.count / max) * barSpace : 0;
    const share = first > 0 ? `${Math.round((s.count / first) * 100)}%` : '–';
    body +=
      text(0, y + 14, s.label) +
      `<rect x="${labelWidth}" y="${y + 2}" width="${r1(Math.max(w, s.count > 0 ? 1 : 0))}" height="${row - 8}" fill="${opts.colour ?? PALETTE.primary}"/>` +
      text(labelWidth + w + 6, y + 14, `${fmt(s.count)} · ${share}`);
  });
  return frame(width, height, opts.title, body);
}

/** Width of the y axis: its tick labels ("150", "1.2K") right-aligned left of the plot. */
const AXIS_WIDTH = 40;

/** A chart's size (options over defaults), its plot height between the header strip and the x labels, and the plot's left edge and width right of the y axis. */
function plotArea(opts: { width?: number; height?: number }, defaults: { width: number; height: number; top: number }) {
  const width = opts.width ?? defaults.width;
  const height = opts.height ?? defaults.height;
  const top = defaults.top;
  const plot = height - top - 18;
  return { width, height, top, plot, left: AXIS_WIDTH, inner: width - AXIS_WIDTH };
}

/** A round tick step: 1, 2 or 5 times a power of ten, about a third of `max` (whole numbers from 1 up). */
function tickStep(max: number): number {
  if (max <= 0) return 1;
  const raw = max / 3;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw)!;
  return max >= 1 ? Math.max(1, step) : step;
}

const compact = (n: number) => numberFormat({ notation: 'compact', maximumFractionDigits: 1 }).format(n);

/**
 * The y axis: labelled ticks from 0 in round steps up to the first at or above `max`, with
 * faint grid lines across the plot. Values scale to the top tick (`top`), so a reader can
 * read any bar or line against the labels.
 */
function yAxis(max: number, area: { width: number; top: number; plot: number; left: number }): { top: number; body: string } {
  const step = tickStep(max);
  const count = Math.max(1, Math.ceil(max / step - 1e-9));
  const top = step * count;
  let body = '';
  for (let k = 0; k <= count; k++) {
    const y = area.top + area.plot - (k / count) * area.plot;
    body += `<line x1="${area.left}" y1="${r1(y)}" x2="${area.width}" y2="${r1(y)}" stroke="${PALETTE.grid}" stroke-width="1"/>`;
    body += text(area.left - 5, y + 4, compact(k * step), 'text-anchor="end" data-tick="y"');
  }
  body += `<line x1="${area.left}" y1="${area.top}" x2="${area.left}" y2="${area.top + area.plot}" stroke="${PALETTE.muted}" stroke-width="1"/>`;
  return { top, body };
}

/** A colour key per series along the top, right of the y axis. */
function legend(series: { label: string; colour: string }[], left: number): string {
  let body = '';
  let x = left;
  for (const s of series) {
    body += `<rect x="${x}" y="2" width="10" height="10" fill="${s.colour}"/>` + text(x + 14, 11, s.label);
    x += 24 + s.label.length * 7;
  }
  return body;
}

/** The first, middle and last labels under bars `step` wide from `left`, aligned to their bar. */
function bucketLabels(labels: string[], step: number, height: number, left: number): string {
  let body = '';
  for (const i of labelIndexes(labels.length)) {
    const anchor = i === 0 ? 'start' : i === labels.length - 1 ? 'end' : 'middle';
    const x = left + (anchor === 'start' ? i * step : anchor === 'end' ? (i + 1) * step : (i + 0.5) * step);
    body += text(x, height - 4, labels[i], `text-anchor="${anchor}"`);
  }
  return body;
}

/** Which labels to print under n bars: first, middle and last (all when there are few). */
function labelIndexes(n: number): number[] {
  if (n <= 0) return [];
  if (n <= 3) return [...Array(n).keys()];
  return [0, Math.floor((n - 1) / 2), n - 1];
}
