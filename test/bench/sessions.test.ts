import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sessionBatch, turnShapes } from '../../bench/sessions/fill.js';
import { serverConfig } from '../../bench/http/servers.js';
import type { SessionsBenchResult } from '../../bench/sessions/scenario.js';
import { MOCK_SCRIPT } from '../../bench/workload.js';
import { parseConfig } from '../../src/config/index.js';
import type { Entry } from '../../src/core/index.js';
import { startMockLlm } from '../../src/model/index.js';
import { createRuntime } from '../../src/runtime/index.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/runtime.js';
import { requirePostgres } from '../helpers/services.js';

const TINY = [
  '--sessions',
  '200',
  '--messages',
  '4',
  '--touch-percent',
  '5',
  '--touch-turns',
  '2',
  '--idle-seconds',
  '0',
];

const MESSAGE = new Set(['user', 'assistant', 'tool_result']);

/** What stays the same between two turns of the workload: entry types, payload keys, and the texts. */
function shape(entries: readonly Entry[]): unknown[] {
  return entries.map((e) => {
    const { seq: _s, turnId: _t, at: _a, ...rest } = e as Entry & Record<string, unknown>;
    const out: Record<string, unknown> = { ...rest };
    if ('output' in out) out.output = Object.keys(JSON.parse(out.output as string) as object);
    if ('usage' in out) out.usage = Object.keys(out.usage as object);
    if ('toolCalls' in out)
      out.toolCalls = (out.toolCalls as { name: string; arguments: string }[]).map((c) => [c.name, c.arguments]);
    if ('callId' in out) out.callId = typeof out.callId;
    if ('text' in out && e.type === 'user') out.text = typeof out.text;
    return out;
  });
}

function checkResult(json: SessionsBenchResult, store: 'sqlite' | 'postgres'): void {
  assert.equal(json.scenario, 'sessions');
  assert.equal(json.params.store, store);
  assert.equal(json.params.sessions, 200);
  assert.equal(json.params.touchedSessions, 10, '5% of 200');
  assert.equal(json.fill.sessions, 200);
  assert.equal(json.fill.messages, 800);
  assert.equal(json.fill.entries, 200 * json.params.entriesPerSession);
  for (const run of [json.empty, json.full]) {
    assert.ok(run.startMs > 0);
    assert.ok(run.idle.rssBytes > 0 && run.idle.heapUsedBytes > 0, 'memory readings');
    assert.equal(run.idle.hotCacheSessions, 0, 'nothing is hot while the server idles');
  }
  assert.ok(json.full.db.bytes > json.empty.db.bytes && json.full.db.bytes > 0, 'the filled store is larger');
  assert.equal(json.growth.idleRssBytes, json.full.idle.rssBytes - json.empty.idle.rssBytes);

  const t = json.touch;
  assert.equal(t.sessions, 10);
  assert.equal(t.turns, 20);
  assert.equal(t.completed, 20, t.firstError);
  assert.equal(t.errors, 0);
  assert.ok(t.hits + t.misses >= t.turns, 'every turn looks its session up');
  assert.ok(t.misses >= t.sessions, 'a session that idled is not hot');
  assert.ok(t.hitRate !== null && t.hitRate >= 0 && t.hitRate <= 1);
  assert.equal(t.hitRate, t.hits / (t.hits + t.misses));
  assert.equal(t.cold.n, 10);
  assert.equal(t.warm.n, 10);
  for (const l of [t.cold, t.warm]) assert.ok(l.p50Ms > 0 && l.p50Ms <= l.p99Ms && l.p99Ms <= l.maxMs);
  assert.ok(t.after.rssBytes > 0);
  assert.ok(t.after.hotCacheSessions >= 1 && t.after.hotCacheSessions <= 10);

  assert.equal(json.bars.idleRssBytes.bar, 120e6);
  assert.equal(json.bars.idleRssBytes.value, json.full.idle.rssBytes);
  assert.equal(json.bars.idleRssBytes.met, json.full.idle.rssBytes <= 120e6);
  assert.equal(json.meetsBars, json.bars.idleRssBytes.met);
}

describe('swiftlet bench sessions', () => {
  test('a stored session holds H messages in whole turns, seqs from 1, every tool call answered', () => {
    for (let h = 1; h <= 9; h++) {
      const batch = sessionBatch(Date.now(), h, 'assistant');
      const entries = batch.entries;
      assert.equal(entries.filter((e) => MESSAGE.has(e.type)).length, h, `H = ${h}`);
      assert.deepEqual(
        entries.map((e) => e.seq),
        entries.map((_, i) => i + 1),
      );
      assert.equal(entries.filter((e) => e.type === 'turn_start').length, turnShapes(h).length);
      assert.equal(entries.filter((e) => e.type === 'turn_end').length, turnShapes(h).length);
      assert.equal(entries.at(-1)?.type, 'turn_end');
      const calls = entries.flatMap((e) => (e.type === 'assistant' ? (e.toolCalls ?? []).map((c) => c.id) : []));
      const results = entries.flatMap((e) => (e.type === 'tool_result' ? [e.callId] : []));
      assert.deepEqual(results, calls);
      assert.ok(batch.create && batch.create.createdAt < entries[0]!.at);
    }
  });

  test('a stored tool turn has the entries a real turn on the runtime writes', async (t) => {
    const mock = await startMockLlm({ script: MOCK_SCRIPT });
    t.after(() => mock.close());
    const dir = tempDir(t);
    const config = serverConfig({ mockUrl: mock.url, dir, store: 'sqlite', durability: 'durable' });
    const runtime = await createRuntime({ config: parseConfig(JSON.stringify(config), { env: {} }).config });
    t.after(() => runtime.close());
    const end = await runtime.run({ sessionId: 'real', input: 'What time is it now? (turn 0)' }).result;
    assert.equal(end.outcome, 'final');
    const real = await runtime.entries('real');
    const stored = sessionBatch(Date.now(), 4, 'assistant').entries;
    assert.deepEqual(shape(stored), shape(real));
  });

  test('fills SQLite, serves it, touches some sessions and writes the documented JSON', async (t) => {
    const file = join(tempDir(t), 'sessions.json');
    const r = await runCli(['bench', 'sessions', ...TINY, '--json', file]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /start to listening ms/);
    assert.match(r.stdout, /hot-cache hit rate/);
    assert.match(r.stdout, /idle RSS ≤ 120\.0 MB: (met|MISSED)/);
    const json = JSON.parse(readFileSync(file, 'utf8')) as SessionsBenchResult;
    checkResult(json, 'sqlite');
    assert.equal(json.params.pgSchema, null);
    assert.equal(json.full.db.fileBytes! + json.full.db.walBytes!, json.full.db.bytes);
  });

  test('PostgreSQL: a fresh schema, measured, then dropped', async (t) => {
    const url = await requirePostgres(t);
    if (url === null) return;
    const r = await runCli(['bench', 'sessions', ...TINY, '--store', 'postgres', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const json = JSON.parse(r.stdout) as SessionsBenchResult;
    checkResult(json, 'postgres');
    assert.match(json.params.pgSchema ?? '', /^swiftlet_bench_/);

    const { default: pg } = await import('pg');
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    t.after(() => client.end());
    const left = await client.query('SELECT schema_name FROM information_schema.schemata WHERE schema_name = $1', [
      json.params.pgSchema,
    ]);
    assert.deepEqual(left.rows, []);
  });

  test('a touch percent outside 1..100 is refused with exit code 2', async () => {
    for (const bad of ['0', '101']) {
      const r = await runCli(['bench', 'sessions', '--touch-percent', bad]);
      assert.equal(r.code, 2, `--touch-percent ${bad}: ${r.stderr}`);
      assert.match(r.stderr, /--touch-percent/);
    }
    const other = await runCli(['bench', 'sessions', '--turns', '5']);
    assert.equal(other.code, 2);
    assert.match(other.stderr, /--turns does not apply to the sessions scenario/);
  });
});
