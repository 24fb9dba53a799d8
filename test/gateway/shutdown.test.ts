// SIGTERM while 50 turns are in flight: `swiftlet serve` drains, interrupts what is left, and exits 0; no turn is
// lost: each one either completed (its client got the final answer) or is recorded as interrupted in the store.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startMockLlm } from '../../src/model/index.js';
import { ALL_TENANTS } from '../../src/core/index.js';
import { SqliteStore } from '../../src/store/index.js';
import { PATIENT_TIMEOUTS, tempDir, writeMockConfig } from '../helpers/runtime.js';
import { call, startServe, waitUntil, type JsonReply } from './native-support.js';

const TURNS = 50;

test('SIGTERM during 50 in-flight turns: each completes or is recorded interrupted; exit code 0', async (t) => {
  const dir = tempDir(t);
  // Half the turns wait on a model that never answers in time; the other half stream slowly through the drain.
  const mock = await startMockLlm({ firstTokenMs: 120_000 });
  t.after(() => mock.close());
  const dbPath = join(dir, 'sessions.db');
  const config = writeMockConfig(dir, mock.url, {
    storage: `{ driver: sqlite, path: ${dbPath} }`,
    provider: `    timeouts: ${PATIENT_TIMEOUTS}\n    maxConnections: 128`,
    server: '{ port: 0, drainTimeoutMs: 1500 }',
  });
  const serve = startServe(['--config', config], dir);
  const url = await serve.url;

  const ids: string[] = [];
  for (let i = 0; i < TURNS; i++) ids.push((await call(url, 'POST', '/v1/sessions', { body: {} })).body.id);
  const replies: Promise<JsonReply>[] = [];
  const start = (from: number, to: number) => {
    for (let i = from; i < to; i++) {
      replies.push(call(url, 'POST', `/v1/sessions/${ids[i]}/turns`, { body: { input: `turn ${i}` } }));
    }
  };
  start(0, TURNS / 2);
  await waitUntil(() => mock.requestCount >= TURNS / 2, 'the first turns to reach the model');
  mock.configure({ firstTokenMs: 0, tokenDelayMs: 20, outputTokens: 30 });
  start(TURNS / 2, TURNS);
  await waitUntil(() => mock.requestCount >= TURNS, 'every turn to reach the model');
  const running = mock.requests.filter((r) => r.endedAt === undefined).length;
  assert.ok(running > 0, 'turns are in flight when the signal comes');

  (await serve.child).kill('SIGTERM');
  const settled = await Promise.allSettled(replies);
  const result = await serve.exit;
  assert.equal(result.code, 0, result.stderr);

  const store = new SqliteStore({ path: dbPath });
  await store.init();
  t.after(() => store.close());
  assert.deepEqual(await store.openTurns(ALL_TENANTS), [], 'no turn is left open');
  let completed = 0;
  let interrupted = 0;
  for (let i = 0; i < TURNS; i++) {
    const ends = (await store.load({ tenant: 'local', id: ids[i]! })).filter((e) => e.type === 'turn_end');
    assert.equal(ends.length, 1, `session ${i} has its one turn recorded`);
    const stored = ends[0]!.type === 'turn_end' ? ends[0]!.outcome : undefined;
    const reply = settled[i]!;
    const answer = reply.status === 'fulfilled' && reply.value.status === 200 ? reply.value.body : undefined;
    if (answer?.outcome === 'final') {
      assert.equal(stored, 'final', `turn ${i}: the client's final answer is the stored one`);
      completed++;
    } else {
      assert.equal(stored, 'interrupted', `turn ${i}: without a final answer, recorded as interrupted`);
      if (answer) assert.equal(answer.outcome, 'interrupted');
      interrupted++;
    }
  }
  assert.equal(completed + interrupted, TURNS);
  assert.ok(interrupted >= TURNS / 2, 'the turns waiting on the model were interrupted');
});
