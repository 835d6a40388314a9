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
    assert.match(barChart([], { title: 'nothing' }), /max 0/);
    assert.match(lineChart([], [], { title: 'nothing' }), /<svg/);
    assert.match(funnelChart([], { title: 'nothing' }), /<svg/);
  });
});
