import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/runtime.js';
import { requirePostgres } from '../helpers/services.js';
import { TARGET_KEY, startTargetServer } from './target-server.js';

// Tiny numbers: two low rates for 1 s each, one overhead second per target. The shape is checked, never the speed.
const TINY = [
  '--rate-start',
  '8',
  '--rate-step',
  '4',
  '--step-seconds',
  '1',
  '--steps',
  '2',
  '--overhead-rate',
  '10',
  '--overhead-seconds',
  '1',
  '--sessions',
  '3',
];

interface Step {
  rate: number;
  offered: number;
  sent: number;
  shed: number;
  completed: number;
  completedPerSec: number;
  errors: number;
  p50Ms: number | null;
  p99Ms: number | null;
  serverCpuSeconds: number;
  rssBytes: number;
  heapUsedBytes: number;
  keptUp: boolean;
  attempt: number;
}

function checkTarget(name: string, t: { steps: Step[]; knee: Record<string, unknown> }): void {
  assert.ok(t.steps.length >= 1 && t.steps.length <= 4, `${name}: ${t.steps.length} steps`);
  for (const s of t.steps) {
    assert.ok([8, 12].includes(s.rate), `${name}: rate ${s.rate}`);
    assert.equal(s.offered, s.rate, `${name}: offered = rate × 1 s`);
    assert.ok(s.completed <= s.offered, `${name}: completed ${s.completed} > offered ${s.offered}`);
    assert.equal(s.completed + s.errors, s.offered, `${name}: every offered request is completed or an error`);
    assert.equal(s.sent + s.shed, s.offered);
    assert.ok(s.completedPerSec <= s.rate + 1e-9, `${name}: completed/s ${s.completedPerSec} > offered/s`);
    if (s.completed > 0) assert.ok(s.p50Ms! > 0 && s.p50Ms! <= s.p99Ms!);
    assert.ok(s.serverCpuSeconds >= 0);
    assert.ok(s.rssBytes > 0 && s.heapUsedBytes > 0, `${name}: memory readings`);
    assert.ok(s.attempt === 1 || s.attempt === 2);
  }
  assert.equal(typeof t.knee.reached, 'boolean');
  assert.ok(t.knee.rate === null || typeof t.knee.rate === 'number');
  assert.ok(['throughput', 'p99', 'steps', 'budget'].includes(t.knee.stoppedBy as string));
}

describe('swiftlet bench http', () => {
  test('measures the native, OpenAI and floor targets and writes the documented JSON', async (t) => {
    const file = join(tempDir(t), 'http.json');
    const r = await runCli(['bench', 'http', ...TINY, '--json', file]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /knee\(native\) ÷ knee\(floor\)/);
    assert.match(r.stdout, /overhead native − floor/);

    const json = JSON.parse(readFileSync(file, 'utf8'));
    assert.equal(json.scenario, 'http');
    assert.equal(json.params.store, 'sqlite');
    assert.equal(json.params.durability, 'durable');
    assert.deepEqual(json.params.pgSchemas, []);
    assert.equal(json.machine.loadavgStart.length, 3);
    assert.deepEqual(Object.keys(json.targets).sort(), ['floor', 'native', 'openai']);
    for (const [name, target] of Object.entries(json.targets)) checkTarget(name, target as never);

    for (const key of ['native', 'openai', 'floor']) {
      const o = json.overhead.targets[key];
      assert.equal(o.offered, 10);
      assert.equal(o.errors, 0, `${key}: every request at the low rate completes`);
      assert.equal(o.n, 10);
      assert.ok(o.medianMs > 0 && o.medianMs <= o.p99Ms);
    }
    const d = json.overhead.minusFloor.native;
    assert.equal(d.medianMs, json.overhead.targets.native.medianMs - json.overhead.targets.floor.medianMs);
    assert.deepEqual(json.overhead.bars, { medianMs: 0.5, p99Ms: 3 });
    assert.equal(typeof json.overhead.meetsBars, 'boolean');
    assert.equal(json.ratios.nativeToFloor.bar, 0.7);
    assert.ok(['exact', 'lower', 'upper', 'none'].includes(json.ratios.nativeToFloor.bound));
    assert.equal(json.ratios.durableToRelaxed, null);
    for (const c of [json.ratios.cpuFloorToNative, json.ratios.cpuFloorToOpenai]) {
      if (c === null) continue;
      assert.ok(c.min > 0 && c.min <= c.median && c.median <= c.max);
      assert.ok(c.rates.every((rate: number) => rate === 8 || rate === 12));
    }
  });

  test('PostgreSQL, durable and relaxed: a fresh schema per server, dropped afterwards', async (t) => {
    const url = await requirePostgres(t);
    if (url === null) return;
    const r = await runCli(['bench', 'http', ...TINY, '--store', 'postgres', '--durability', 'both', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const json = JSON.parse(r.stdout);
    assert.equal(json.params.store, 'postgres');
    assert.deepEqual(Object.keys(json.targets).sort(), ['floor', 'native', 'nativeRelaxed', 'openai']);
    for (const [name, target] of Object.entries(json.targets)) checkTarget(name, target as never);
    assert.equal(json.ratios.durableToRelaxed.bar, 0.9);
    assert.equal(json.params.pgSchemas.length, 2);

    const { default: pg } = await import('pg');
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    t.after(() => client.end());
    const left = await client.query('SELECT schema_name FROM information_schema.schemata WHERE schema_name = ANY($1)', [
      json.params.pgSchemas,
    ]);
    assert.deepEqual(left.rows, []);
  });

  test('--target measures a running server through both APIs with its key; no floor, no CPU', async (t) => {
    const url = await startTargetServer(t, 'helper');

    const r = await runCli(['bench', 'http', '--target', `${url}/`, ...TINY, '--json'], {
      env: { SWIFTLET_API_KEY: TARGET_KEY },
    });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(!r.stdout.includes(TARGET_KEY), 'the key is not written');
    const json = JSON.parse(r.stdout);
    assert.equal(json.params.target, url);
    assert.equal(json.params.apiKey, true);
    // The probe's median turn time stands in for the mock's latency.
    assert.ok(json.params.slackMs >= 100 && json.params.graceMs >= 2000);
    assert.deepEqual(Object.keys(json.targets).sort(), ['native', 'openai']);
    for (const key of ['native', 'openai']) {
      const steps = json.targets[key].steps as Step[];
      assert.ok(steps.length >= 1, key);
      // The built-in mock answers every turn: a final answer with text is completed work (not the scripted text).
      assert.equal(steps[0]!.completed, steps[0]!.offered, key);
      assert.equal(steps[0]!.serverCpuSeconds, null, key);
      assert.ok(steps[0]!.rssBytes > 0 && steps[0]!.heapUsedBytes > 0, key);
      assert.equal(json.overhead.targets[key].errors, 0, key);
    }
    assert.deepEqual(json.overhead.minusFloor, {});
    assert.deepEqual(json.ratios, {
      nativeToFloor: null,
      durableToRelaxed: null,
      cpuFloorToNative: null,
      cpuFloorToOpenai: null,
    });

    // Options that configure the processes the scenario would start are refused with a target.
    const refused = await runCli(['bench', 'http', '--target', url, '--store', 'postgres']);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr.trim(), /^swiftlet: --store does not apply with --target/);
    // Without the key the server refuses us: a readable error naming the request, no figures.
    const denied = await runCli(['bench', 'http', '--target', url, ...TINY], { env: { SWIFTLET_API_KEY: undefined } });
    assert.notEqual(denied.code, 0);
    assert.match(denied.stderr, /^swiftlet: --target http:\/\/\S+: GET \/v1\/models answered 401/);
  });

  test('an option of another scenario is refused with exit code 2', async () => {
    const r = await runCli(['bench', 'http', '--turns', '5']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--turns does not apply to the http scenario/);
    const bad = await runCli(['bench', 'http', '--store', 'memory']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--store: expected sqlite or postgres, got "memory"/);
  });

  test('--help explains the figures of http and startup', async () => {
    const r = await runCli(['bench', '--help']);
    assert.equal(r.code, 0);
    for (const word of [
      'open loop',
      'completed/s',
      'knee(native) ÷ knee(floor)',
      'knee(durable) ÷ knee(relaxed)',
      'cpu ms/req',
      'swiftlet_process_resident_memory_bytes',
      'overhead',
      '/readyz',
      '--version',
      'production dependencies',
    ]) {
      assert.ok(r.stdout.includes(word), word);
    }
  });
});
