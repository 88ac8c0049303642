import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderChart } from '../../bench/lib/chart.js';
import { spread } from '../../bench/lib/stats.js';

test('chart: one bar per system with its median, whisker only for a range, text escaped', () => {
  const svg = renderChart(
    [
      { title: 'register <ops>', unit: 'ops/s', better: 'higher', bars: [{ label: 'Nomen', value: spread([100, 200, 300]) }, { label: 'etcd', value: spread([5]) }] },
      { title: 'empty', unit: 'ms', better: 'lower', bars: [{ label: 'etcd', value: spread([]) }] },
    ],
    ['caption & date'],
  );
  assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  assert.equal((svg.match(/<rect x=/g) ?? []).length, 2);
  assert.equal((svg.match(/class="w"/g) ?? []).length, 1);
  assert.ok(svg.includes('200 (100–300)'));
  assert.ok(svg.includes('register &lt;ops&gt;'));
  assert.ok(svg.includes('caption &amp; date'));
  assert.ok(svg.includes('no data'));
});
