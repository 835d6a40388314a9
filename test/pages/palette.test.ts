/**
 * The colours of the pages and charts, as the source defines them (PALETTE in
 * src/reports/charts.ts and the CSS variables of the page layout), seen through simulated
 * colour-blindness (culori's Machado et al. 2009 filters at full severity): the colours of a
 * set that sit side by side — failure categories in a stacked chart, statuses as badges —
 * must differ in lightness as well as hue, and stay apart under protanopia, deuteranopia
 * and tritanopia. Badge text keeps a WCAG contrast of 4.5:1 on its status colour.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { converter, differenceCiede2000, filterDeficiencyDeuter, filterDeficiencyProt, filterDeficiencyTrit, wcagContrast, type Color } from 'culori';
import { PALETTE } from '../../src/reports/charts.js';

const LAYOUT = readFileSync(new URL('../../templates/pages/partials/layout.hbs', import.meta.url), 'utf8');
/** Smallest CIELAB lightness difference between two colours of a set. */
const MIN_LIGHTNESS = 10;
/** Smallest CIEDE2000 difference between two colours of a set, with or without a simulated deficiency. */
const MIN_DELTA_E = 12;

const lab = converter('lab');
const deltaE = differenceCiede2000();
const rgb = converter('rgb');
const VISION: Record<string, (c: Color) => Color> = {
  normal: (c) => c,
  protanopia: filterDeficiencyProt(1),
  deuteranopia: filterDeficiencyDeuter(1),
  tritanopia: filterDeficiencyTrit(1),
};

/** The `--name:#hex` variables of the page layout's :root. */
function cssVariables(css: string): Record<string, string> {
  return Object.fromEntries([...css.matchAll(/--([a-z-]+):\s*(#[0-9a-fA-F]{3,6})/g)].map((m) => [m[1], m[2]]));
}

/** Every pair of a set whose colours are too close, in words. */
function tooClose(set: Record<string, string>): string[] {
  const names = Object.keys(set);
  const problems: string[] = [];
  for (let i = 0; i < names.length; i++) {
    for (let j = i + 1; j < names.length; j++) {
      const [a, b] = [set[names[i]], set[names[j]]];
      const dl = Math.abs(lab(a)!.l - lab(b)!.l);
      if (dl < MIN_LIGHTNESS) problems.push(`${names[i]}/${names[j]}: lightness differs by ${dl.toFixed(1)}`);
      for (const [vision, simulate] of Object.entries(VISION)) {
        const d = deltaE(simulate(rgb(a)!), simulate(rgb(b)!));
        if (d < MIN_DELTA_E) problems.push(`${names[i]}/${names[j]} (${vision}): ΔE2000 ${d.toFixed(1)}`);
      }
    }
  }
  return problems;
}

const pick = (from: Record<string, string>, keys: string[]) => Object.fromEntries(keys.map((k) => [k, from[k]]));
const STATUSES = ['healthy', 'degraded', 'failing', 'stale'];

describe('colours for colour-blind readers', () => {
  test('the failure categories of the charts differ in lightness and stay apart under every simulated deficiency', () => {
    assert.deepEqual(tooClose(pick(PALETTE, ['infra', 'endpoint', 'data'])), []);
  });

  test('the status colours of charts and pages differ in lightness and stay apart under every simulated deficiency', () => {
    const css = cssVariables(LAYOUT);
    for (const s of STATUSES) assert.ok(css[s], `the layout defines --${s}`);
    assert.deepEqual(tooClose(pick(PALETTE, STATUSES)), []);
    assert.deepEqual(tooClose(pick(css, STATUSES)), []);
  });

  test('badge text is readable on every status colour (WCAG 4.5:1)', () => {
    const css = cssVariables(LAYOUT);
    // Which statuses carry dark text: the selectors of the layout's dark-text badge rule.
    const darkRule = /([^{}]*)\{\s*color:\s*#101828;?\s*\}/.exec(LAYOUT.slice(LAYOUT.indexOf('.badge')));
    const dark = new Set([...(darkRule?.[1] ?? '').matchAll(/\.s-([a-z]+)/g)].map((m) => m[1]));
    for (const s of [...STATUSES, 'disabled', 'unknown']) {
      const text = dark.has(s) ? '#101828' : '#ffffff';
      const ratio = wcagContrast(css[s], text);
      assert.ok(ratio >= 4.5, `${s} badge: ${text} on ${css[s]} has contrast ${ratio.toFixed(2)}`);
    }
  });
});
