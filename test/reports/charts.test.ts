import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { barChart, funnelChart, lineChart, sparkline, stackedBarChart } from '../../src/reports/index.js';

const HOSTILE = '<script>alert(1)</script>"><img src=x onerror=alert(1)>';
const attr = (svg: string, name: string) => [...svg.matchAll(new RegExp(`<rect[^>]* ${name}="([\\d.]+)"`, 'g'))].map((m) => Number(m[1]));

describe('inline SVG charts', () => {
  test('labels and titles are escaped: a hostile integration name is text, never markup', () => {
    const charts = [
      barChart([{ label: HOSTILE, value: 3 }], { title: HOSTILE }),
      stackedBarChart([{ label: HOSTILE, values: { data: 2 } }], [{ key: 'data', label: HOSTILE, colour: '#b42318' }], { title: HOSTILE }),
      lineChart([HOSTILE, 'b'], [{ label: HOSTILE, colour: '#175cd3', values: [1, 2] }], { title: HOSTILE }),
      sparkline([1, 2, 3], { title: HOSTILE }),
      funnelChart([{ label: HOSTILE, count: 5 }], { title: HOSTILE }),
    ];
    for (const svg of charts) {
      assert.ok(!svg.includes('<script'), svg);
      assert.ok(!svg.includes('<img'), svg);
      assert.ok(svg.includes('&lt;script&gt;alert(1)&lt;/script&gt;&quot;&gt;&lt;img src=x onerror=alert(1)&gt;'));
      assert.match(svg, /^<svg [^>]*role="img" aria-label="[^"<]*"/);
    }
  });

  test('bars are proportional to their values and the largest fills the plot', () => {
    const svg = barChart([{ label: 'a', value: 10 }, { label: 'b', value: 5 }, { label: 'c', value: 0 }], { title: 'records', height: 120 });
    const heights = attr(svg, 'height');
    assert.equal(heights.length, 3);
    assert.equal(heights[0], 88); // 120 - 14 top - 18 bottom
    assert.equal(heights[1], 44);
    assert.equal(heights[2], 0);
  });

  test('bar, stacked and line charts have a y axis with labelled round ticks from 0, and values read against it', () => {
    const ticks = (svg: string) => [...svg.matchAll(/<text x="[\d.]+" y="([\d.]+)"[^>]*data-tick="y">([^<]+)<\/text>/g)].map((m) => ({ y: Number(m[1]) - 4, label: m[2] }));
    const bars = barChart([{ label: 'a', value: 120 }, { label: 'b', value: 40 }], { title: 'records', height: 120 });
    assert.deepEqual(ticks(bars).map((t) => t.label), ['0', '50', '100', '150']);
    // The bar of 120 reaches 120/150 of the plot: its top lies 4/5 of the way from the "0" tick to the "150" tick.
    const [zero, , , top] = ticks(bars);
    const y = Number(/<rect x="[\d.]+" y="([\d.]+)"/.exec(bars)![1]);
    assert.ok(Math.abs(y - (zero.y + (top.y - zero.y) * (120 / 150))) < 0.2, `bar top at ${y}`);
    assert.match(bars, /<line x1="40" y1="14" x2="40" y2="102"/, 'the axis line left of the plot');
    const stacked = stackedBarChart([{ label: 'h1', values: { data: 7 } }], [{ key: 'data', label: 'data', colour: '#d92d20' }], { title: 'failures' });
    assert.deepEqual(ticks(stacked).map((t) => t.label), ['0', '5', '10']);
    const lines = lineChart(['d1', 'd2'], [{ label: 'x', colour: '#175cd3', values: [2500, 1200] }], { title: 'active' });
    assert.deepEqual(ticks(lines).map((t) => t.label), ['0', '1K', '2K', '3K']);
    assert.deepEqual(ticks(barChart([{ label: 'a', value: 1 }], { title: 'one' })).map((t) => t.label), ['0', '1'], 'counts tick in whole numbers');
  });

  test('stacked bars add up to each bucket total', () => {
    const svg = stackedBarChart(
      [{ label: 'h1', values: { infra: 1, data: 3 } }, { label: 'h2', values: { data: 4 } }],
      [{ key: 'infra', label: 'infra', colour: '#6941c6' }, { key: 'data', label: 'data', colour: '#b42318' }],
      { title: 'failures', height: 150 },
    );
    const bars = [...svg.matchAll(/<rect x="[\d.]+" y="[\d.]+" width="[\d.]+" height="([\d.]+)" fill="[^"]+"><title>([^<]+)<\/title>/g)].map((m) => [m[2], Number(m[1])]);
    assert.deepEqual(bars.map(([t]) => t), ['h1 infra: 1', 'h1 data: 3', 'h2 data: 4']);
    assert.equal(Number(bars[0][1]) + Number(bars[1][1]), Number(bars[2][1]), 'both buckets total 4, so the same height');
  });

  test('a funnel whose later step counts more than the first stays inside the chart', () => {
    const width = 520;
    const svg = funnelChart([{ label: 'viewed', count: 1 }, { label: 'first sync', count: 4 }], { title: 'funnel', width });
    for (const [x, w] of attr(svg, 'x').map((x, i) => [x, attr(svg, 'width')[i]])) assert.ok(x + w <= width, `bar ends at ${x + w}`);
    assert.match(svg, />4 · 400%</);
  });

  test('empty series draw an empty chart, not an error', () => {
    assert.match(barChart([], { title: 'nothing' }), /data-tick="y">0</);
    assert.match(lineChart([], [], { title: 'nothing' }), /<svg/);
    assert.match(funnelChart([], { title: 'nothing' }), /<svg/);
  });
});
