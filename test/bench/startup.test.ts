import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCli } from '../helpers/cli.js';

test('swiftlet bench startup times ready and --version, reads idle memory and sizes the production dependencies', async () => {
  const r = await runCli(['bench', 'startup', '--runs', '3', '--idle-seconds', '1', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const json = JSON.parse(r.stdout);
  assert.equal(json.scenario, 'startup');
  assert.equal(json.params.runs, 3);
  assert.equal(json.ready.samplesMs.length, 3);
  for (const ms of json.ready.samplesMs) assert.ok(ms > 0);
  assert.ok(json.ready.minMs <= json.ready.medianMs && json.ready.medianMs <= json.ready.maxMs);
  // Each run prints its address before /readyz can answer, so the median of the first is not above the other's.
  assert.ok(json.ready.listeningMedianMs <= json.ready.medianMs);
  assert.equal(json.ready.bar, 150);
  assert.equal(json.ready.meetsBar, json.ready.medianMs <= 150);
  assert.equal(json.idle.afterSeconds, 1);
  assert.ok(json.idle.rssBytes > json.idle.heapUsedBytes && json.idle.heapUsedBytes > 0);
  assert.equal(json.versionCommand.samplesMs.length, 3);
  assert.equal(json.versionCommand.bar, 80);
  assert.equal(json.bareNode.samplesMs.length, 3);
  assert.equal(json.overBareNodeMs.ready, json.ready.medianMs - json.bareNode.medianMs);
  const deps = json.prodDeps;
  assert.ok(!('error' in deps), deps.error);
  assert.ok(deps.packages > 0 && deps.diskBytes > 0 && deps.apparentBytes > 0);
  assert.ok(deps.largest.length > 0 && deps.largest.length <= 5);
  // Production dependencies only: no devDependency is counted.
  for (const p of deps.largest) assert.ok(!['typescript', 'esbuild', 'eslint', 'tsx'].includes(p.name), p.name);
  assert.equal(deps.meetsBar, deps.diskBytes <= 40e6);
  assert.equal(json.meetsBars, json.ready.meetsBar && json.versionCommand.meetsBar && deps.meetsBar);
});
