import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { createRuntime } from '../../src/runtime/index.js';
import { startMockLlm, type MockLlm } from '../../src/model/index.js';
import { openStore } from '../../src/store/index.js';
import { ALL_TENANTS, ENTRY_VERSION, SwiftletError, type Entry, type TurnEvent } from '../../src/core/index.js';
import { tempDir, testConfig } from '../helpers/runtime.js';

async function collect(turn: AsyncIterable<TurnEvent>): Promise<TurnEvent[]> {
  const out: TurnEvent[] = [];
  for await (const e of turn) out.push(e);
  return out;
}

describe('runtime', () => {
  let mock: MockLlm;
  before(async () => {
    mock = await startMockLlm({});
  });
  after(async () => {
    await mock.close();
  });

  test('a tool turn end to end: events in order, entries committed in order', async (t) => {
    mock.reset();
    mock.configure({ script: [{ toolCalls: [{ name: 'current_time', arguments: {} }] }, { text: 'It is now.' }] });
    const dir = tempDir(t);
    const rt = await createRuntime({
      config: testConfig({ mockUrl: mock.url, storage: `{ driver: sqlite, path: ${join(dir, 'db.sqlite')} }` }),
    });
    const turn = rt.run({ sessionId: 's1', input: 'what time is it?' });
    const events = await collect(turn);
    const types = events.map((e) => e.type);
    assert.equal(types[0], 'turn-start');
    assert.equal(types.at(-1), 'turn-end');
    assert.ok(types.indexOf('tool-call') < types.indexOf('tool-result'));
    const end = events.at(-1)!;
    assert.equal(end.type === 'turn-end' && end.outcome, 'final');
    assert.equal(end.type === 'turn-end' && end.text, 'It is now.');
    // Durable: the store already holds the turn when turn-end arrives.
    const entries = await rt.store.load({ tenant: 'local', id: 's1' });
    assert.deepEqual(
      entries.map((e) => e.type),
      ['turn_start', 'user', 'assistant', 'tool_result', 'assistant', 'turn_end'],
    );
    assert.deepEqual(
      entries.map((e) => e.seq),
      [1, 2, 3, 4, 5, 6],
    );
    assert.ok(entries.every((e) => e.v === ENTRY_VERSION && e.turnId === turn.turnId));
    const info = await rt.store.getSession({ tenant: 'local', id: 's1' });
    assert.equal(info?.agent, 'assistant');
    assert.equal(info?.openTurn, undefined);
    await rt.close();
  });

  test('turns on one session run one at a time, in order; a full queue is SESSION_BUSY', async () => {
    mock.reset();
    mock.configure({ script: [], firstTokenMs: 30, outputTokens: 3 });
    const rt = await createRuntime({
      config: testConfig({ mockUrl: mock.url, limits: '{ maxQueuedTurnsPerSession: 1 }' }),
    });
    const a = rt.run({ sessionId: 'q', input: 'first' });
    const b = rt.run({ sessionId: 'q', input: 'second' });
    assert.throws(
      () => rt.run({ sessionId: 'q', input: 'third' }),
      (e: unknown) => SwiftletError.isInstance(e) && e.code === 'SWIFTLET_ERR_SESSION_BUSY',
    );
    const [ra, rb] = await Promise.all([a.result, b.result]);
    assert.equal(ra.outcome, 'final');
    assert.equal(rb.outcome, 'final');
    const entries = await rt.store.load({ tenant: 'local', id: 'q' });
    const turns = entries
      .filter((e) => e.type === 'turn_start' || e.type === 'turn_end')
      .map((e) => `${e.type}:${e.turnId}`);
    assert.deepEqual(turns, [
      `turn_start:${a.turnId}`,
      `turn_end:${a.turnId}`,
      `turn_start:${b.turnId}`,
      `turn_end:${b.turnId}`,
    ]);
    // The second turn saw the first in its history.
    const second = mock.requests.filter((r) => r.format === 'openai-chat').at(-1)!;
    assert.match(JSON.stringify(second.body), /first/);
    mock.configure({ firstTokenMs: 0 });
    await rt.close();
  });

  test('a never-answering model fails the turn by its first-token timeout; the session takes the next turn', async () => {
    mock.reset();
    mock.configure({ script: [], outputTokens: 3 });
    mock.injectFault({ kind: 'hang' });
    const rt = await createRuntime({
      config: testConfig({
        mockUrl: mock.url,
        timeouts: '{ connectMs: 2000, firstTokenMs: 300, idleMs: 2000, totalMs: 10000 }',
      }),
    });
    const r1 = await rt.run({ sessionId: 'h', input: 'hello?' }).result;
    assert.equal(r1.outcome, 'failed');
    assert.equal(r1.error?.code, 'SWIFTLET_ERR_MODEL_TIMEOUT');
    const r2 = await rt.run({ sessionId: 'h', input: 'again' }).result;
    assert.equal(r2.outcome, 'final');
    const entries = await rt.store.load({ tenant: 'local', id: 'h' });
    assert.deepEqual(
      entries.filter((e) => e.type === 'turn_end').map((e) => e.type === 'turn_end' && e.outcome),
      ['failed', 'final'],
    );
    await rt.close();
  });

  test('an interrupt ends the turn at once, keeps the partial text and closes the provider connection', async () => {
    mock.reset();
    mock.configure({ script: [], tokenDelayMs: 20, outputTokens: 500 });
    const rt = await createRuntime({ config: testConfig({ mockUrl: mock.url }) });
    const turn = rt.run({ sessionId: 'i', input: 'tell me a long story' });
    let deltas = 0;
    let end: TurnEvent | undefined;
    for await (const e of turn) {
      if (e.type === 'text-delta' && ++deltas === 3) assert.equal(rt.interrupt('i'), true);
      if (e.type === 'turn-end') end = e;
    }
    assert.equal(end?.type === 'turn-end' && end.outcome, 'interrupted');
    await mock.waitFor((r) => r.format === 'openai-chat' && r.clientClosed, 5000);
    const entries = await rt.store.load({ tenant: 'local', id: 'i' });
    const reply = entries.find((e) => e.type === 'assistant');
    assert.ok(reply && reply.type === 'assistant' && reply.interrupted === true && reply.text.length > 0);
    assert.equal(rt.interrupt('i'), false);
    mock.configure({ tokenDelayMs: 0, outputTokens: 12 });
    await rt.close();
  });

  test('the todo list lives in the session and survives a restart', async (t) => {
    mock.reset();
    mock.configure({
      script: [
        { toolCalls: [{ name: 'todo', arguments: { action: 'add', text: 'write tests' } }] },
        { text: 'Planned.' },
      ],
    });
    const dir = tempDir(t);
    const config = testConfig({ mockUrl: mock.url, storage: `{ driver: sqlite, path: ${join(dir, 'db.sqlite')} }` });
    const rt1 = await createRuntime({ config });
    assert.equal((await rt1.run({ sessionId: 'todo', input: 'plan it' }).result).outcome, 'final');
    await rt1.close();
    const rt2 = await createRuntime({ config });
    const todos = (await rt2.sessionState('todo')).get('todo');
    assert.ok(Array.isArray(todos) && todos.length === 1);
    assert.match(JSON.stringify(todos), /write tests/);
    await rt2.close();
  });

  test('recovery closes a turn cut short by a crash, so the session stays valid for the provider', async (t) => {
    const dir = tempDir(t);
    const path = join(dir, 'db.sqlite');
    const store = await openStore({ driver: 'sqlite', path });
    const base = { v: ENTRY_VERSION, turnId: 'turn_dead', at: Date.now() };
    const entries: Entry[] = [
      { ...base, seq: 1, type: 'turn_start', agent: 'assistant' },
      { ...base, seq: 2, type: 'user', text: 'use two tools' },
      {
        ...base,
        seq: 3,
        type: 'assistant',
        text: '',
        toolCalls: [
          { id: 'c1', name: 'current_time', arguments: '{}' },
          { id: 'c2', name: 'current_time', arguments: '{}' },
        ],
      },
      { ...base, seq: 4, type: 'tool_result', callId: 'c1', name: 'current_time', output: 'noon' },
    ];
    await store.append([
      {
        tenant: 'local',
        sessionId: 'crashed',
        create: { agent: 'assistant', metadata: {}, createdAt: Date.now() },
        entries,
      },
    ]);
    assert.equal((await store.openTurns(ALL_TENANTS)).length, 1);
    await store.close();

    mock.reset();
    mock.configure({ script: [] });
    const rt = await createRuntime({
      config: testConfig({ mockUrl: mock.url, storage: `{ driver: sqlite, path: ${path} }` }),
    });
    const after = await rt.store.load({ tenant: 'local', id: 'crashed' });
    assert.deepEqual(
      after.slice(4).map((e) => e.type),
      ['tool_result', 'turn_end'],
    );
    const fix = after[4]!;
    assert.ok(fix.type === 'tool_result' && fix.callId === 'c2' && fix.isError === true);
    const end = after[5]!;
    assert.ok(end.type === 'turn_end' && end.outcome === 'interrupted');
    assert.deepEqual(await rt.store.openTurns(ALL_TENANTS), []);
    assert.equal((await rt.run({ sessionId: 'crashed', input: 'continue' }).result).outcome, 'final');
    // The provider received every tool call paired with its result.
    const body = mock.requests.at(-1)!.body as { messages: { role: string; tool_call_id?: string }[] };
    assert.deepEqual(
      body.messages.filter((m) => m.role === 'tool').map((m) => m.tool_call_id),
      ['c1', 'c2'],
    );
    await rt.close();
  });

  test('relaxed durability answers first and still stores everything by close', async (t) => {
    mock.reset();
    mock.configure({ script: [] });
    const dir = tempDir(t);
    const rt = await createRuntime({
      config: testConfig({
        mockUrl: mock.url,
        storage: `{ driver: sqlite, path: ${join(dir, 'db.sqlite')}, durability: relaxed, flushIntervalMs: 10000 }`,
      }),
    });
    const results = await Promise.all([1, 2, 3].map((i) => rt.run({ sessionId: `r${i}`, input: 'hi' }).result));
    assert.ok(results.every((r) => r.outcome === 'final'));
    const store = rt.store;
    await rt.close();
    const reopened = await openStore({ driver: 'sqlite', path: join(dir, 'db.sqlite') });
    for (const i of [1, 2, 3])
      assert.equal((await reopened.load({ tenant: 'local', id: `r${i}` })).at(-1)?.type, 'turn_end');
    await reopened.close();
    assert.equal(store.kind, 'sqlite');
  });

  test('a tiny hot cache evicts idle sessions, which then load from the store with their history', async () => {
    mock.reset();
    mock.configure({ script: [] });
    const rt = await createRuntime({
      config: testConfig({ mockUrl: mock.url, storage: '{ driver: memory, hotCacheMb: 0 }' }),
    });
    await rt.run({ sessionId: 'c1', input: 'remember apples' }).result;
    await rt.run({ sessionId: 'c2', input: 'remember pears' }).result;
    assert.equal(rt.stats.cache.sessions, 0);
    await rt.run({ sessionId: 'c1', input: 'what did I say?' }).result;
    const last = mock.requests.at(-1)!;
    assert.match(JSON.stringify(last.body), /remember apples/);
    assert.doesNotMatch(JSON.stringify(last.body), /pears/);
    await rt.close();
  });

  test('a hot session sends the model what the same session loaded from the store sends', async () => {
    // The hot cache keeps only the messages of a session, without their stored fields; the context built from them
    // must be the one built from the full stored log.
    // Every turn: a tool call, then an answer (the mock's script is per step of a turn).
    const script = [{ toolCalls: [{ name: 'current_time', arguments: { timezone: 'UTC' } }] }, { text: 'It is now.' }];
    const requestsOf = async (storage: string): Promise<string[]> => {
      mock.reset();
      mock.configure({ script });
      const rt = await createRuntime({ config: testConfig({ mockUrl: mock.url, storage }) });
      for (const input of ['first', 'second', 'third', 'fourth']) {
        const end = await rt.run({ sessionId: 'same', input }).result;
        assert.equal(end.outcome, 'final');
      }
      await rt.close();
      // Tool call ids are the mock's own per request, and the tool reports the time; everything else must match.
      return mock.requests.map((r) =>
        JSON.stringify((r.body as { messages: unknown }).messages)
          .replace(/"call_[^"]*"/g, '"call"')
          .replace(/\d/g, '0'),
      );
    };
    const hot = await requestsOf('{ driver: memory }');
    const cold = await requestsOf('{ driver: memory, hotCacheMb: 0 }');
    assert.equal(hot.length, 8);
    assert.deepEqual(hot, cold);
    assert.match(hot.at(-1)!, /first.*current_time.*It is now.*second.*third.*fourth.*current_time/);
  });

  test('bad requests fail at once with clear errors', async () => {
    const rt = await createRuntime({ config: testConfig({ mockUrl: mock.url }) });
    const code = (fn: () => unknown): string | undefined => {
      try {
        fn();
      } catch (e) {
        return SwiftletError.isInstance(e) ? e.code : 'not a SwiftletError';
      }
      return undefined;
    };
    assert.equal(
      code(() => rt.run({ input: '' })),
      'SWIFTLET_ERR_INVALID_INPUT',
    );
    assert.equal(
      code(() => rt.run({ input: 'x', agent: 'nobody' })),
      'SWIFTLET_ERR_AGENT_NOT_FOUND',
    );
    assert.equal(
      code(() => rt.run({ input: 'x', sessionId: 'bad id with spaces' })),
      'SWIFTLET_ERR_INVALID_INPUT',
    );
    await rt.close();
    assert.equal(
      code(() => rt.run({ input: 'x' })),
      'SWIFTLET_ERR_SHUTTING_DOWN',
    );
  });
});

describe('ephemeral turns', () => {
  test('run on the given history and store nothing', async () => {
    const mock = await startMockLlm({});
    try {
      const rt = await createRuntime({ config: testConfig({ mockUrl: mock.url }) });
      const base = { v: ENTRY_VERSION, turnId: 'turn_prev', at: Date.now() };
      const history: Entry[] = [
        { ...base, seq: 1, type: 'user', text: 'my name is Ada' },
        { ...base, seq: 2, type: 'assistant', text: 'Hello Ada' },
      ];
      const turn = rt.run({ input: 'what is my name?', ephemeral: { history } });
      const end = await turn.result;
      assert.equal(end.outcome, 'final');
      assert.match(JSON.stringify(mock.requests.at(-1)!.body), /my name is Ada/);
      assert.equal(await rt.store.getSession({ tenant: 'local', id: turn.sessionId }), undefined);
      assert.deepEqual((await rt.store.list(ALL_TENANTS)).sessions, []);
      await rt.close();
    } finally {
      await mock.close();
    }
  });
});

describe('periodic pruning', () => {
  test('the runtime prunes on its interval when storage.pruning is configured', async () => {
    const mock = await startMockLlm({});
    try {
      const rt = await createRuntime({
        config: testConfig({
          mockUrl: mock.url,
          storage: '{ driver: memory, pruning: { maxMessages: 2, intervalMs: 20 } }',
        }),
      });
      for (const input of ['one', 'two', 'three']) await rt.run({ sessionId: 'p', input }).result;
      const deadline = Date.now() + 5000;
      let messages = Infinity;
      while (Date.now() < deadline) {
        const entries = await rt.store.load({ tenant: 'local', id: 'p' });
        messages = entries.filter((e) => e.type === 'user' || e.type === 'assistant').length;
        if (messages <= 2) break;
        await new Promise((r) => setTimeout(r, 10));
      }
      assert.equal(messages, 2, 'only the newest turn is left');
      const texts = (await rt.store.load({ tenant: 'local', id: 'p' }))
        .filter((e) => e.type === 'user')
        .map((e) => e.type === 'user' && e.text);
      assert.deepEqual(texts, ['three']);
      await rt.close();
    } finally {
      await mock.close();
    }
  });
});

test('a session is titled by its first message at once, also while that first turn runs', async (t) => {
  const mock = await startMockLlm({ firstTokenMs: 300 });
  t.after(() => mock.close());
  const dir = tempDir(t);
  const rt = await createRuntime({
    config: testConfig({ mockUrl: mock.url, storage: `{ driver: sqlite, path: ${join(dir, 's.db')} }` }),
  });
  t.after(() => rt.close());
  const empty = await rt.createSession();
  for (const id of ['titled-new', empty.id]) {
    const turn = rt.run({ sessionId: id, input: '  plan   the trip  ' });
    for await (const e of turn) {
      if (e.type !== 'turn-start') continue;
      assert.equal((await rt.getSession(id))?.title, 'plan the trip', `${id}: while its first turn runs`);
      break;
    }
    await turn.result;
    assert.equal((await rt.getSession(id))?.title, 'plan the trip', `${id}: from the store`);
  }
});
