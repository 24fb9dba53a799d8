import { test } from 'node:test';
import assert from 'node:assert/strict';
import { quantile, spread, summarize } from '../../bench/stats.js';

test('nearest-rank quantiles pick a real sample', () => {
  const sorted = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  assert.equal(quantile(sorted, 0.5), 5);
  assert.equal(quantile(sorted, 0.95), 10);
  assert.equal(quantile(sorted, 0.1), 1);
  assert.equal(quantile(sorted, 0), 1);
  assert.ok(Number.isNaN(quantile([], 0.5)));
});

test('summarize sorts its input and derives throughput from the summed time', () => {
  const s = summarize([4, 1, 3, 2]);
  assert.equal(s.n, 4);
  assert.equal(s.medianMs, 2);
  assert.equal(s.p99Ms, 4);
  assert.equal(s.meanMs, 2.5);
  assert.equal(s.turnsPerSec, 400);
});

test('spread is the median and range of per-run values', () => {
  assert.deepEqual(spread([1.3, 1.1, 1.2]), { median: 1.2, min: 1.1, max: 1.3 });
});
