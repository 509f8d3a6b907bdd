import assert from 'node:assert/strict';
import { createConsoleViews } from '../../src/http/admin-console/views.ts';
import { bucketLabel, lineChart, niceMax, stackedBarChart } from '../../src/http/views/svg-chart.ts';

const H = 3_600_000;
const buckets = [0, 1, 2, 3].map((i) => ({ start: Date.parse('2026-05-08T00:00:00Z') + i * H }));

describe('SVG chart geometry (src/http/views/svg-chart.ts)', () => {
  it('picks round axis maxima', () => {
    assert.deepEqual([0, 1, 3, 7, 11, 240, 1001].map((n) => niceMax(n)), [1, 1, 5, 10, 20, 250, 2000]);
    assert.equal(niceMax(0.24, [1, 2, 3, 4, 5, 6, 8, 10]), 0.3);
  });

  it('stacks bars proportionally, bottom-up, with a tooltip per segment and totals in the legend', () => {
    const chart = stackedBarChart({
      id: 't',
      title: 'Sends by outcome',
      buckets,
      bucketMs: H,
      series: [
        { key: 'sent', label: 'sent', color: '#0f0' },
        { key: 'refused', label: 'refused', color: '#f00' },
      ],
      values: [
        [4, 0],
        [0, 0],
        [3, 1],
        [0, 2],
      ],
    });
    assert.equal(chart.empty, false);
    // max total 4 → axis 5; plot height 166: a value of 4 is 4/5 of it.
    assert.equal(chart.plot.h, 166);
    const [first, sent3, refused1, refused2] = chart.bars;
    assert.equal(chart.bars.length, 4);
    assert.equal(first?.h, 132.8);
    assert.equal(first?.y, 47.2); // bottom 180 − 132.8
    assert.equal(refused1?.y, Math.round((chart.plot.bottom - (3 / 5) * 166 - (1 / 5) * 166) * 10) / 10, 'stacked on top of sent');
    assert.equal(sent3?.fill, '#0f0');
    assert.equal(refused2?.tip, '03:00: 2 refused');
    assert.deepEqual(chart.legend.map((l) => [l.label, l.total]), [['sent', '7'], ['refused', '3']]);
    assert.deepEqual(chart.yTicks.map((t) => t.label), ['0', '3', '5']);
    assert.deepEqual(chart.table.rows.map((r) => r.label), ['00:00', '02:00', '03:00'], 'empty buckets left out of the numbers');
  });

  it('draws rate lines with gaps where there is no data, and threshold lines', () => {
    const chart = lineChart({
      id: 'r',
      title: 'Rates',
      buckets,
      bucketMs: H,
      percent: true,
      lines: [{ key: 'f', label: 'failure rate', color: '#b54708', values: [0.1, null, 0.2, 0.05] }],
      thresholds: [{ label: 'failure pause threshold', value: 0.2, color: '#f79009' }],
    });
    assert.equal(chart.paths.length, 1);
    assert.equal((chart.paths[0]?.d.match(/M/g) ?? []).length, 2, 'the null bucket breaks the line');
    assert.equal(chart.dots.length, 3);
    assert.equal(chart.thresholds[0]?.label, 'failure pause threshold 20%');
    assert.deepEqual(chart.yTicks.map((t) => t.label), ['0%', '15%', '30%']);
    assert.equal(chart.dots[1]?.cy, chart.thresholds[0]?.y, 'a value at the threshold sits on its line');
  });

  it('labels buckets in UTC by their size', () => {
    const t = Date.parse('2026-05-08T06:00:00Z');
    assert.equal(bucketLabel(t, H), '06:00');
    assert.equal(bucketLabel(t, 6 * H), '8 May 06h');
    assert.equal(bucketLabel(t, 24 * H), '8 May');
  });

  it('renders through the shared partial as escaped inline SVG', () => {
    const views = createConsoleViews();
    const chart = stackedBarChart({
      id: 'x',
      title: 'Refusals by code <script>',
      buckets,
      bucketMs: H,
      series: [{ key: 'a', label: '<b>code</b>', color: '#f00' }],
      values: [[1], [0], [0], [0]],
    });
    const rendered = views.partial('chart', chart);
    assert.match(rendered, /<svg viewBox="0 0 480 210"/);
    assert.match(rendered, /<rect class="bar" x="[\d.]+" y="[\d.]+" width="[\d.]+" height="[\d.]+" fill="#f00"/);
    assert.ok(!rendered.includes('<script>') && rendered.includes('&lt;script&gt;'));
    assert.ok(!rendered.includes('<b>code</b>'));
  });
});
