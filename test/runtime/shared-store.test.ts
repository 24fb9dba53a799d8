// Several processes on one store: a runtime (as `swiftlet serve` holds it, session cached) and the CLI in another
// process take turns on the same session, then run turns on it at the same moment, with a delete between. Every turn
// ends final and every one is in the store, whole; the cached copy never hides what the other process wrote.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { LOCAL_TENANT, type Entry } from '../../src/core/index.js';
import { startMockLlm, type MockLlm } from '../../src/model/index.js';
import { createRuntime, type Runtime } from '../../src/runtime/index.js';
import { runCli } from '../helpers/cli.js';
import { tempDir, writeMockConfig } from '../helpers/runtime.js';
import { postgresStorage } from '../helpers/services.js';

const ID = 'shared-1';

function userTexts(entries: Entry[]): string[] {
  return entries.flatMap((e) => (e.type === 'user' ? [e.text] : []));
}

/** Each turn in the log is whole: turn_start, user, assistant, turn_end final, all with one turn id. */
function checkTurns(entries: Entry[]): void {
  entries.forEach((e, i) => assert.equal(e.seq, i + 1, 'seqs are contiguous'));
  const turns = new Map<string, string[]>();
  for (const e of entries) turns.set(e.turnId, [...(turns.get(e.turnId) ?? []), e.type]);
  for (const [turnId, types] of turns) {
    assert.deepEqual(types, ['turn_start', 'user', 'assistant', 'turn_end'], `turn ${turnId}`);
  }
  for (const e of entries) if (e.type === 'turn_end') assert.equal(e.outcome, 'final');
}

async function cliTurn(config: string, input: string): Promise<void> {
  const r = await runCli(['run', '--config', config, '-s', ID, input]);
  assert.equal(r.code, 0, `swiftlet run "${input}": ${r.stderr}`);
  assert.doesNotMatch(r.stderr, /no session/, 'the CLI continued the session');
}

async function serverTurn(runtime: Runtime, input: string): Promise<void> {
  const end = await runtime.run({ sessionId: ID, input }).result;
  assert.equal(end.outcome, 'final', `${input}: ${end.error?.message}`);
}

async function sharedStore(t: TestContext, storage: string): Promise<void> {
  const dir = tempDir(t);
  const mock: MockLlm = await startMockLlm({});
  t.after(() => mock.close());
  const config = writeMockConfig(dir, mock.url, { storage });
  const runtime = await createRuntime({ configPath: config });
  t.after(() => runtime.close());
  const key = { tenant: LOCAL_TENANT, id: ID };

  // Alternating: the server's copy of the session is cached between its turns, the CLI writes behind its back.
  const expected: string[] = [];
  for (let i = 0; i < 3; i++) {
    await serverTurn(runtime, `server ${i}`);
    await cliTurn(config, `cli ${i}`);
    expected.push(`server ${i}`, `cli ${i}`);
  }
  await serverTurn(runtime, 'server last');
  expected.push('server last');
  let entries = await runtime.store.load(key);
  assert.deepEqual(userTexts(entries), expected);
  checkTurns(entries);
  // The server's last turn was built on the whole history, the CLI's turns included.
  const sent = JSON.stringify(mock.requests.at(-1)?.body);
  assert.ok(sent.includes('cli 2'), 'the model saw the CLI turn');

  // Deleted by the CLI: the server sees it gone at once, and a turn on the id starts afresh.
  const del = await runCli(['sessions', 'delete', ID, '--config', config]);
  assert.equal(del.code, 0, del.stderr);
  assert.equal(await runtime.getSession(ID), undefined);
  await serverTurn(runtime, 'after delete');
  assert.deepEqual(userTexts(await runtime.store.load(key)), ['after delete']);

  // At the same moment: a slow server turn and a CLI turn on the same session, each started while the other's model
  // call is pending. Each commits its end after the other has written: it finds the other's entries and numbers the
  // rest of its own after them.
  mock.configure({ firstTokenMs: 2500 });
  const slow = runtime.run({ sessionId: ID, input: 'server slow' }).result;
  await cliTurn(config, 'cli during');
  const end = await slow;
  assert.ok(runtime.stats.resequencedTurns > 0, 'the server turn had to re-sequence');
  assert.equal(end.outcome, 'final', end.error?.message);
  mock.configure({ firstTokenMs: 0 });
  await serverTurn(runtime, 'server after');
  entries = await runtime.store.load(key);
  assert.deepEqual(userTexts(entries).sort(), ['after delete', 'cli during', 'server after', 'server slow']);
  assert.equal(userTexts(entries).at(-1), 'server after');
  assert.deepEqual((await runtime.store.getSession(key))?.openTurn, undefined);
  console.log(
    '#DBG',
    JSON.stringify(
      entries.map((e) => [
        e.seq,
        e.turnId.slice(-4),
        e.type,
        e.type === 'turn_end' ? e.outcome + ' ' + (e.error?.message ?? '') : '',
      ]),
    ),
  );
  const ends = entries.filter((e) => e.type === 'turn_end');
  assert.equal(ends.length, 4);
  for (const e of ends) assert.equal(e.type === 'turn_end' && e.outcome, 'final');
}

test('a running runtime closes the turn of a CLI process killed beside it, within a few seconds', async (t) => {
  const dir = tempDir(t);
  const mock = await startMockLlm({ firstTokenMs: 120_000 });
  t.after(() => mock.close());
  const config = writeMockConfig(dir, mock.url, {
    storage: `{ driver: sqlite, path: ${JSON.stringify(join(dir, 'shared.db'))} }`,
  });
  const runtime = await createRuntime({ configPath: config });
  t.after(() => runtime.close());
  let child: ChildProcess | undefined;
  const cli = runCli(['run', '--config', config, '-s', 'killed-1', 'cut short'], { onSpawn: (c) => (child = c) });
  const deadline = Date.now() + 20_000;
  while (mock.requestCount === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  assert.equal(mock.requestCount, 1, 'the CLI turn reached the model');
  // Alive: the runtime's own recovery leaves the CLI's turn alone.
  assert.equal((await runtime.getSession('killed-1'))?.openTurn !== undefined, true);
  child!.kill('SIGKILL');
  await cli;
  while ((await runtime.getSession('killed-1'))?.openTurn !== undefined) {
    assert.ok(Date.now() < deadline, 'the dead process turn was not closed');
    await new Promise((r) => setTimeout(r, 100));
  }
  const entries = await runtime.store.load({ tenant: LOCAL_TENANT, id: 'killed-1' });
  assert.deepEqual(
    entries.map((e) => e.type),
    ['turn_start', 'user', 'turn_end'],
  );
  const end = entries.at(-1)!;
  assert.equal(end.type === 'turn_end' && end.outcome, 'interrupted');
});

test('a runtime and the CLI on one SQLite file: alternating, deleting, racing; nothing lost', async (t) => {
  const dir = tempDir(t);
  await sharedStore(t, `{ driver: sqlite, path: ${JSON.stringify(join(dir, 'shared.db'))} }`);
});

test('a runtime and the CLI on one PostgreSQL schema: alternating, deleting, racing; nothing lost', async (t) => {
  const storage = await postgresStorage(t, 'swiftlet_shared');
  if (storage) await sharedStore(t, storage);
});
