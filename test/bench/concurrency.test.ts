import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { modelConnectionsFor } from '../../bench/concurrency/scenario.js';
import { swiftletConfigYaml } from '../../bench/contenders/swiftlet.js';
import { serverConfig } from '../../bench/http/servers.js';
import { parseConfig } from '../../src/config/index.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/runtime.js';
import { TARGET_KEY, startTargetServer } from './target-server.js';

// Tiny numbers: 4 and 8 sessions, 1 s windows, 20 ms per model call. Shapes and invariants, never speed.
const LLM_MS = 20;
const TINY = ['--users', '4,8', '--duration', '1', '--llm-latency', String(LLM_MS)];

interface Figures {
  label: string;
  users: number;
  completed: number;
  turnsPerSec: number;
  idealTurnsPerSec: number | null;
  maxPossible: number | null;
  latencyMs: { p50: number; p95: number; p99: number; max: number; min: number } | null;
  overheadMs: { p50: number; p95: number; p99: number } | null;
  errors: { total: number; byKind: Record<string, number> };
  warmup: { ms: number; warmed: number; complete: boolean; errors: { total: number } };
  unfinished: number;
  peakRssBytes: number | null;
  cpuSeconds: number | null;
  generatorCpuSeconds: number | null;
  mockCpuSeconds: number | null;
  loopDelayP99Ms: number | null;
  failed?: string;
}

/** What holds for any contender that ran at a level without errors. */
function checkRun(where: string, f: Figures, users: number): void {
  assert.equal(f.failed, undefined, `${where}: ${f.failed}`);
  assert.equal(f.users, users, where);
  assert.equal(f.errors.total, 0, `${where}: errors ${JSON.stringify(f.errors.byKind)}`);
  assert.equal(f.warmup.errors.total, 0, `${where}: warm-up errors`);
  assert.ok(f.warmup.complete && f.warmup.warmed === users && f.warmup.ms > 0, `${where}: warm-up`);
  assert.equal(f.unfinished, 0, `${where}: unfinished turns`);
  assert.ok(f.completed > 0, `${where}: no turn completed`);
  assert.equal(f.turnsPerSec, f.completed / 1, `${where}: turns/s = completed ÷ 1 s`);
  const lat = f.latencyMs!;
  assert.ok(lat.min <= lat.p50 && lat.p50 <= lat.p95 && lat.p95 <= lat.p99 && lat.p99 <= lat.max, where);
  assert.ok(f.peakRssBytes! > 0, `${where}: peak RSS`);
  assert.ok(f.loopDelayP99Ms === null || f.loopDelayP99Ms >= 0, where);
}

describe('swiftlet bench concurrency', { concurrency: true }, () => {
  test('runs every contender at every level and writes the documented JSON', async (t) => {
    const file = join(tempDir(t), 'concurrency.json');
    const r = await runCli(['bench', 'concurrency', ...TINY, '--json', file]);
    assert.equal(r.code, 0, r.stderr);
    for (const word of ['turns/s', 'ovh p99', 'peak RSS MB', 'fetch loop', 'bars:', 'not measured']) {
      assert.ok(r.stdout.includes(word), word);
    }

    const json = JSON.parse(readFileSync(file, 'utf8'));
    assert.equal(json.scenario, 'concurrency');
    assert.deepEqual(json.params.users, [4, 8]);
    assert.equal(json.params.llmLatencyMs, LLM_MS);
    assert.equal(json.params.target, null);
    assert.equal(json.params.apiKey, false);
    assert.deepEqual(json.params.modelConnections, { 4: 4, 8: 8 });
    assert.equal(json.machine.loadavgStart.length, 3);
    assert.deepEqual(
      json.levels.map((l: { users: number }) => l.users),
      [4, 8],
    );
    for (const level of json.levels) {
      assert.deepEqual(Object.keys(level.contenders), ['server', 'swiftlet', 'fetchLoop']);
      for (const [key, f] of Object.entries(level.contenders) as [string, Figures][]) {
        const where = `${level.users} ${key}`;
        checkRun(where, f, level.users);
        // Every turn makes two model calls of at least LLM_MS each, so a session completes at most
        // ⌊1000 ÷ 40⌋ + 1 turns in the window, and no turn is faster than 40 ms (1 ms of timer rounding allowed).
        assert.equal(f.maxPossible, level.users * (Math.floor(1000 / (2 * LLM_MS)) + 1), where);
        assert.ok(f.completed <= f.maxPossible!, `${where}: ${f.completed} > ${f.maxPossible}`);
        assert.equal(f.idealTurnsPerSec, (level.users * 1000) / (2 * LLM_MS), where);
        assert.ok(f.latencyMs!.min >= 2 * LLM_MS - 1, `${where}: a turn took ${f.latencyMs!.min} ms`);
        assert.equal(f.overheadMs!.p99, f.latencyMs!.p99 - 2 * LLM_MS, where);
        assert.ok(f.cpuSeconds! >= 0 && f.mockCpuSeconds! >= 0, where);
        // Only the server is driven by a separate load generator.
        assert.equal(f.generatorCpuSeconds === null, key !== 'server', where);
      }
    }
    // Neither bar's level ran.
    assert.deepEqual(json.bars.swiftletVsFetchLoop, {
      users: 1000,
      swiftletTurnsPerSec: null,
      fetchLoopTurnsPerSec: null,
      ratio: null,
      met: null,
    });
    assert.equal(json.bars.server.users, 10000);
    assert.equal(json.bars.server.contender, 'server');
    assert.deepEqual(json.bars.server.errors, { value: null, bar: 0, met: null });
    assert.deepEqual(json.bars.server.p99OverheadMs, { value: null, bar: 50, met: null });
    assert.deepEqual(json.bars.server.peakRssMb, { value: null, bar: 300, met: null });
    assert.equal(json.bars.server.met, null);
  });

  test('--target measures only a running server, with its key, and reads its memory from /metrics', async (t) => {
    const url = await startTargetServer(t);

    const r = await runCli(
      ['bench', 'concurrency', '--target', `${url}/`, '--users', '3', '--duration', '1', '--json'],
      {
        env: { SWIFTLET_API_KEY: TARGET_KEY },
      },
    );
    assert.equal(r.code, 0, r.stderr);
    const json = JSON.parse(r.stdout);
    assert.equal(json.params.target, url);
    assert.equal(json.params.apiKey, true);
    assert.ok(!r.stdout.includes(TARGET_KEY), 'the key is not written');
    assert.equal(json.levels.length, 1);
    assert.deepEqual(Object.keys(json.levels[0].contenders), ['target']);
    const f = json.levels[0].contenders.target as Figures;
    checkRun('target', f, 3);
    // Not our mock: nothing to bound the turns by, no overhead; not our process: no CPU of its own.
    assert.equal(f.maxPossible, null);
    assert.equal(f.idealTurnsPerSec, null);
    assert.equal(f.overheadMs, null);
    assert.equal(f.cpuSeconds, null);
    assert.equal(f.mockCpuSeconds, null);
    assert.ok(f.generatorCpuSeconds! >= 0);
    assert.equal(json.bars.server.contender, 'target');

    // Without the key the sessions cannot be created: no figures, exit code 1, the reason in the table.
    const denied = await runCli(['bench', 'concurrency', '--target', url, '--users', '2', '--duration', '1'], {
      env: { SWIFTLET_API_KEY: undefined },
    });
    assert.equal(denied.code, 1, denied.stderr);
    assert.match(denied.stdout, /target\s+failed/);
    assert.match(denied.stdout, /POST \/v1\/sessions answered 401/);
  });

  test('bad input exits 2 with one line', async () => {
    for (const [args, message] of [
      [['--users', 'abc'], /--users: expected positive integers separated by commas, got "abc"/],
      [['--users', '10,0'], /--users: expected positive integers/],
      [['--target', 'localhost:8080'], /--target: expected an http:\/\/ or https:\/\/ base URL/],
      [['--rate', '5'], /--rate does not apply to the concurrency scenario/],
    ] as const) {
      const r = await runCli(['bench', 'concurrency', ...args]);
      assert.equal(r.code, 2, args.join(' '));
      assert.match(r.stderr, message);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    }
  });

  test('--help explains the closed loop, the open-file limit and the figures', async () => {
    const r = await runCli(['bench', '--help']);
    assert.equal(r.code, 0);
    for (const word of ['closed loop', 'ulimit -n', 'ovh p99', '% ideal', 'peak RSS MB', 'maxConcurrentTurns']) {
      assert.ok(r.stdout.includes(word), word);
    }
  });

  test('the open-file limit bounds the levels and the server connections to the model', () => {
    assert.equal(modelConnectionsFor(1000, 20_000, false), 1000);
    assert.equal(modelConnectionsFor(10_000, 20_000, false), 20_000 - 10_000 - 512);
    assert.equal(modelConnectionsFor(10_000, Number.NaN, false), 10_000);
    assert.equal(modelConnectionsFor(19_000, 19_512, true), 19_000);
    assert.throws(
      () => modelConnectionsFor(10_000, 10_500, false),
      /--users 10000: the open-file limit is 10500, too low .*ulimit -n 20512/,
    );
    assert.throws(() => modelConnectionsFor(10_000, 10_000, true), /ulimit -n 10512/);
  });

  test('the server and in-process configs raise the pool and the turn limits to the sessions in flight', () => {
    const spec = { mockUrl: 'http://127.0.0.1:1', dir: '/tmp', store: 'sqlite', durability: 'durable' } as const;
    const raised = parseConfig(JSON.stringify(serverConfig({ ...spec, maxTurns: 5000, modelConnections: 4000 })), {
      env: {},
    }).config;
    assert.equal(raised.providers.mock!.maxConnections, 4000);
    assert.equal(raised.limits.maxConcurrentTurns, 5000);
    assert.equal(raised.server.maxConcurrentTurns, 5000);
    // Without them, the defaults (what the http scenario runs).
    const plain = parseConfig(JSON.stringify(serverConfig(spec)), { env: {} }).config;
    assert.equal(plain.providers.mock!.maxConnections, 64);
    assert.equal(plain.limits.maxConcurrentTurns, 256);
    assert.equal(plain.server.maxConcurrentTurns, 1024);

    const inProcess = parseConfig(swiftletConfigYaml({ ...spec, connections: 3000 }), { env: {} }).config;
    assert.equal(inProcess.providers.mock!.maxConnections, 3000);
    assert.equal(inProcess.limits.maxConcurrentTurns, 3000);
    const small = parseConfig(swiftletConfigYaml({ ...spec, connections: 10 }), { env: {} }).config;
    assert.equal(small.providers.mock!.maxConnections, 64);
    assert.equal(small.limits.maxConcurrentTurns, 256);
  });
});
