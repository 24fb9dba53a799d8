import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/runtime.js';

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

test('--memory-profile leaves a V8 heap profile of the idle server and names its folder', async (t) => {
  const cwd = tempDir(t);
  const r = await runCli(['bench', 'startup', '--runs', '1', '--idle-seconds', '0', '--memory-profile'], { cwd });
  assert.equal(r.code, 0, r.stderr);
  const m = /^heap profiles: (.+)$/m.exec(r.stderr);
  assert.ok(m, r.stderr);
  const dir = m[1]!;
  assert.ok(dir.startsWith(join(cwd, 'swiftlet-bench-profiles', 'startup-')), dir);
  const files = readdirSync(dir).filter((f) => f.endsWith('.heapprofile'));
  // One per V8 isolate of the server process (its main thread and any worker).
  assert.ok(files.length >= 1, `profiles: ${files.join(', ')}`);
  const profile = JSON.parse(readFileSync(join(dir, files[0]!), 'utf8')) as { head?: { children?: unknown[] } };
  assert.ok(Array.isArray(profile.head?.children), 'a sampling heap profile has a call tree');
});
