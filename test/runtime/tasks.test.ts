import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createRuntime, type Runtime } from '../../src/runtime/index.js';
import { startMockLlm, type MockLlm } from '../../src/model/index.js';
import { taskSessionId, type TaskRecord } from '../../src/core/index.js';
import { tempDir, testConfig } from '../helpers/runtime.js';

async function settled(rt: Runtime, task: TaskRecord): Promise<TaskRecord> {
  for await (const _ of rt.bus.watch(task.tenant, task.id)) {
    // ends after the terminal event
  }
  return (await rt.bus.tasks.get(task.tenant, task.id))!;
}

const agents = `
  researcher:
    model: mock/mock-model
    instructions: You research.
    tools: [current_time]
    skills: [search, { name: summarise, description: Short summaries }]
`;

describe('agents consume tasks', () => {
  let mock: MockLlm;
  before(async () => {
    mock = await startMockLlm({});
  });
  after(() => mock.close());

  async function runtime(t: { after: (fn: () => Promise<void>) => void }): Promise<Runtime> {
    const dir = tempDir(t as never);
    const rt = await createRuntime({
      config: testConfig({
        mockUrl: mock.url,
        storage: `{ driver: sqlite, path: ${join(dir, 'db.sqlite')} }`,
        agentExtra: agents,
      }),
    });
    t.after(() => rt.close());
    return rt;
  }

  test('a task runs as a turn in its own session, its answer the result, its text the progress', async (t) => {
    mock.reset();
    mock.configure({ script: [], firstTokenMs: 0, tokenDelayMs: 0, outputTokens: 5 });
    const rt = await runtime(t);
    const task = await rt.bus.publish({
      tenant: 'acme',
      target: { agent: 'assistant' },
      input: { text: 'Find the answer', data: { topic: 'tides' } },
      requester: { kind: 'key', id: 'k' },
    });
    const done = await settled(rt, task);
    assert.equal(done.state, 'completed');
    assert.match(done.result?.message ?? '', /^Mock reply to: "Find the answer/);
    const entries = await rt.store.load({ tenant: 'acme', id: taskSessionId(task.id) });
    const user = entries.find((e) => e.type === 'user');
    assert.ok(user && user.type === 'user' && user.text.includes('"topic": "tides"'), 'the data reached the prompt');
    const session = await rt.store.getSession({ tenant: 'acme', id: taskSessionId(task.id) });
    assert.deepEqual(session?.metadata, { task: task.id });
    const events = await rt.bus.tasks.events('acme', task.id);
    assert.ok(
      events.some((e) => e.type === 'progress' && (e.text ?? '').length > 0),
      'text arrived as progress',
    );
    assert.equal(await rt.store.getSession({ tenant: 'local', id: taskSessionId(task.id) }), undefined);
  });

  test('a skill task goes to the agent offering it; tool activity is progress', async (t) => {
    mock.reset();
    mock.configure({
      script: [{ toolCalls: [{ name: 'current_time', arguments: {} }] }, { text: 'Summary done.' }],
      firstTokenMs: 0,
    });
    const rt = await runtime(t);
    const task = await rt.bus.publish({
      tenant: 'local',
      target: { skill: 'summarise' },
      input: { text: 'Summarise this' },
      requester: { kind: 'cli', id: 'cli' },
    });
    const done = await settled(rt, task);
    assert.equal(done.assignee, 'researcher');
    assert.equal(done.state, 'completed');
    assert.equal(done.result?.message, 'Summary done.');
    const events = await rt.bus.tasks.events('local', task.id);
    const tools = events.filter((e) => e.type === 'progress' && e.data !== undefined);
    assert.deepEqual(
      tools.map((e) => (e.type === 'progress' ? (e.data as { tool: string }).tool : '')),
      ['current_time', 'current_time'],
    );
  });

  test('cancel interrupts the running turn at once', async (t) => {
    mock.reset();
    mock.configure({ script: [], firstTokenMs: 60_000 });
    const rt = await runtime(t);
    const task = await rt.bus.publish({
      tenant: 'local',
      target: { agent: 'assistant' },
      input: { text: 'slow one' },
      requester: { kind: 'cli', id: 'cli' },
    });
    await mock.waitFor((r) => r.format === 'openai-chat');
    const canceled = await rt.bus.cancel('local', task.id, 'changed my mind');
    assert.equal(canceled?.state, 'canceled');
    await mock.waitFor((r) => r.clientClosed, 5000);
    const entries = await rt.store.load({ tenant: 'local', id: taskSessionId(task.id) });
    await waitUntil(async () => {
      const e = await rt.store.load({ tenant: 'local', id: taskSessionId(task.id) });
      return e.some((x) => x.type === 'turn_end');
    });
    const end = (await rt.store.load({ tenant: 'local', id: taskSessionId(task.id) })).find(
      (e) => e.type === 'turn_end',
    );
    assert.ok(end && end.type === 'turn_end' && end.outcome === 'interrupted');
    assert.ok(entries.length > 0);
    assert.equal((await rt.bus.tasks.get('local', task.id))?.state, 'canceled', 'the task stays canceled');
  });
});

describe('delegate through the runtime', () => {
  test('an agent hands a task to another and uses its answer; the delegate sees only the task', async (t) => {
    const mock = await startMockLlm({});
    t.after(() => mock.close());
    mock.configure({
      script: [
        { toolCalls: [{ name: 'delegate', arguments: { agent: 'helper', task: 'Count the tides' } }] },
        { text: 'The helper answered.' },
      ],
    });
    const dir = tempDir(t);
    const rt = await createRuntime({
      config: testConfig({
        mockUrl: mock.url,
        storage: `{ driver: sqlite, path: ${join(dir, 'db.sqlite')} }`,
        tools: '[{ name: delegate }]',
        agentExtra: `
  helper:
    model: mock/mock-model
    instructions: You help.
`,
      }),
    });
    t.after(() => rt.close());
    const end = await rt.run({ sessionId: 'lead-1', input: 'A secret only the lead knows' }).result;
    assert.equal(end.outcome, 'final');
    assert.equal(end.text, 'The helper answered.');
    const lead = await rt.store.load({ tenant: 'local', id: 'lead-1' });
    const result = lead.find((e) => e.type === 'tool_result');
    assert.ok(result && result.type === 'tool_result');
    const out = JSON.parse(result.output) as { taskId: string; state: string; answer: string; agent: string };
    assert.equal(out.state, 'completed');
    assert.equal(out.agent, 'helper');
    assert.match(out.answer, /^Mock reply to: "Count the tides"/);
    const helper = await rt.store.load({ tenant: 'local', id: taskSessionId(out.taskId) });
    const texts = helper.flatMap((e) => (e.type === 'user' || e.type === 'assistant' ? [e.text] : []));
    assert.ok(
      texts.every((x) => !x.includes('secret')),
      'nothing of the lead session reached the helper',
    );
    assert.equal((await rt.bus.tasks.get('local', out.taskId))?.requester.sessionId, 'lead-1');
  });
});

async function waitUntil(check: () => Promise<boolean>, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}
