import assert from 'node:assert/strict';
import { describe, test, type TestContext } from 'node:test';
import { LocalBus, type Assignment } from '../../src/bus/index.js';
import { ALL_TENANTS, taskSessionId, type TaskRecord } from '../../src/core/index.js';
import { MemoryStore } from '../../src/store/index.js';
import { createDelegateTools, type Tool } from '../../src/tools/index.js';
import { toolContext } from './helpers.js';

async function setup(
  t: TestContext,
  over: { maxDepth?: number; maxTasksPerTurn?: number; waitTimeoutMs?: number } = {},
) {
  const store = new MemoryStore();
  await store.init();
  const bus = new LocalBus({ store: store.tasks, instanceId: store.instanceId, sweepMs: 100 });
  await bus.start();
  t.after(() => bus.close());
  const agents = new Map<string, string[]>([
    ['lead', []],
    ['writer', ['prose']],
    ['checker', ['review']],
  ]);
  const tools = (agent: string): Tool[] =>
    createDelegateTools({
      agent,
      bus: () => bus,
      agents,
      maxDepth: over.maxDepth ?? 3,
      maxTasksPerTurn: over.maxTasksPerTurn ?? 8,
      waitTimeoutMs: over.waitTimeoutMs ?? 5000,
    });
  return { bus, tools };
}

async function call(tool: Tool, args: unknown, ctx = toolContext()): Promise<unknown> {
  const parsed = tool.parse(args);
  assert.ok(parsed.ok, parsed.ok ? '' : parsed.error);
  return tool.run(parsed.value, ctx);
}

/** A task held for `agent`, as if it were running its turn in the task's session. */
async function taskFor(bus: LocalBus, agent: string, requester: TaskRecord['requester'], parentId?: string) {
  return bus.publish({
    tenant: 'local',
    target: { agent },
    input: { text: 'x' },
    requester,
    ...(parentId === undefined ? {} : { parentId }),
  });
}

describe('delegate', () => {
  test('hands a task to an agent by name or skill and returns its answer', async (t) => {
    const { bus, tools } = await setup(t);
    const seen: string[] = [];
    for (const agent of ['writer', 'checker']) {
      bus.subscribe({ agent, skills: agent === 'writer' ? ['prose'] : ['review'], scope: ALL_TENANTS }, (a) => {
        seen.push(`${agent}:${a.task.input.text}`);
        void a.complete({ message: `${agent} did it` });
      });
    }
    const [delegate] = tools('lead');
    const byName = (await call(delegate!, { agent: 'writer', task: 'draft' })) as Record<string, unknown>;
    assert.equal(byName.state, 'completed');
    assert.equal(byName.answer, 'writer did it');
    const bySkill = (await call(delegate!, { skill: 'review', task: 'check' })) as Record<string, unknown>;
    assert.equal(bySkill.answer, 'checker did it');
    assert.deepEqual(seen, ['writer:draft', 'checker:check']);
    const task = await bus.tasks.get('local', byName.taskId as string);
    assert.deepEqual(task?.requester, { kind: 'agent', id: 'lead', sessionId: 'ses_test' });
  });

  test('refuses cycles, depth past the limit, too many tasks per turn, and unknown targets', async (t) => {
    const { bus, tools } = await setup(t, { maxDepth: 2, maxTasksPerTurn: 2 });
    // lead (a plain session) → writer: the writer's turn runs in the task's session.
    const first = await taskFor(bus, 'writer', { kind: 'agent', id: 'lead', sessionId: 'ses_lead' });
    const [writerDelegate] = tools('writer');
    const inFirst = toolContext({ sessionId: taskSessionId(first.id) });
    await assert.rejects(call(writerDelegate!, { agent: 'lead', task: 'back to you', wait: false }, inFirst), {
      code: 'SWIFTLET_ERR_DELEGATION_REFUSED',
      message: /cycle/,
    });
    await assert.rejects(call(writerDelegate!, { agent: 'writer', task: 'myself', wait: false }, inFirst), /cycle/);
    await assert.rejects(call(writerDelegate!, { skill: 'prose', task: 'myself', wait: false }, inFirst), /chain/);
    // writer → checker is depth 1; from the checker's turn another hand-off would be depth 2 = maxDepth.
    const ok = (await call(writerDelegate!, { agent: 'checker', task: 'review', wait: false }, inFirst)) as {
      taskId: string;
    };
    const second = (await bus.tasks.get('local', ok.taskId))!;
    assert.equal(second.depth, 1);
    assert.equal(second.parentId, first.id);
    const [checkerDelegate] = tools('checker');
    const inSecond = toolContext({ sessionId: taskSessionId(second.id) });
    await assert.rejects(call(checkerDelegate!, { agent: 'lead', task: 'x', wait: false }, inSecond), /cycle/);
    await assert.rejects(
      call(tools('lead')[0]!, { agent: 'nobody', task: 'x', wait: false }),
      /no agent nobody to delegate to/,
    );

    const [leadDelegate] = tools('lead');
    const turn = toolContext({ turnId: 'turn_many' });
    await call(leadDelegate!, { agent: 'writer', task: '1', wait: false }, turn);
    await call(leadDelegate!, { agent: 'writer', task: '2', wait: false }, turn);
    await assert.rejects(call(leadDelegate!, { agent: 'writer', task: '3', wait: false }, turn), /per turn/);

    const deep = await taskFor(bus, 'checker', { kind: 'agent', id: 'writer' }, second.id);
    assert.equal(deep.depth, 2);
    await assert.rejects(
      call(
        checkerDelegate!,
        { agent: 'lead', task: 'x', wait: false },
        toolContext({ sessionId: taskSessionId(deep.id) }),
      ),
      /depth limit/,
    );
  });

  test('an interrupted turn cancels the tasks it handed out; task_status reads one later', async (t) => {
    const { bus, tools } = await setup(t, { waitTimeoutMs: 100 });
    const held: Assignment[] = [];
    bus.subscribe({ agent: 'writer', scope: ALL_TENANTS, concurrency: 4 }, (a) => void held.push(a));
    const [delegate, status] = tools('lead');
    const turn = new AbortController();
    const ctx = toolContext({ turnSignal: turn.signal, turnId: 'turn_i' });
    const waited = (await call(delegate!, { agent: 'writer', task: 'slow' }, ctx)) as Record<string, unknown>;
    assert.equal(waited.state, 'working');
    assert.match(String(waited.note), /task_status/);
    const later = toolContext({ turnId: 'turn_j' });
    const open = (await call(delegate!, { agent: 'writer', task: 'answered', wait: false }, later)) as {
      taskId: string;
    };
    while (held.length < 2) await new Promise((r) => setTimeout(r, 5));
    const answered = held.find((a) => a.task.id === open.taskId)!;
    void answered.complete({ message: 'here it is' });
    const read = (await call(status!, { taskId: open.taskId, waitSeconds: 5 })) as Record<string, unknown>;
    assert.equal(read.answer, 'here it is');

    turn.abort();
    const first = held.find((a) => a.task.id === waited.taskId)!;
    await new Promise<void>((r) => (first.signal.aborted ? r() : first.signal.addEventListener('abort', () => r())));
    assert.equal((await bus.tasks.get('local', waited.taskId as string))?.state, 'canceled');
    await assert.rejects(call(status!, { taskId: 'task_nope' }), { code: 'SWIFTLET_ERR_TASK_NOT_FOUND' });
  });
});
