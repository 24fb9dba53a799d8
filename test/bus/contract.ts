// The TaskBus contract: every adapter (local on SQLite, local on PostgreSQL, nats) passes these cases.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it, type TestContext } from 'node:test';
import { ALL_TENANTS, SwiftletError, type TaskRecord, type TaskSpec } from '../../src/core/index.js';
import type { Assignment, TaskBus } from '../../src/bus/index.js';

export interface BusOptions {
  leaseMs?: number;
  maxAttempts?: number;
  maxQueued?: number;
  sweepMs?: number;
}

/**
 * Opens a started bus on a fresh store, closed when `t` ends; null when the test was skipped (service unavailable).
 * `second` opens another bus (another process, as far as the bus can tell) on the same store as the first.
 */
export type MakeBus = (
  t: TestContext,
  options?: BusOptions,
) => Promise<{ bus: TaskBus; second(): Promise<TaskBus> } | null>;

const uid = (p: string): string => `${p}-${randomUUID().slice(0, 8)}`;

function spec(tenant: string, target: TaskSpec['target'], over: Partial<TaskSpec> = {}): TaskSpec {
  return { tenant, target, input: { text: 'hello' }, requester: { kind: 'key', id: 'k' }, ...over };
}

/** Resolves with the next `n` assignments a subscriber receives, without ending them. */
function collect(bus: TaskBus, agent: string, n: number, skills: string[] = [], concurrency = n) {
  const got: Assignment[] = [];
  let done!: (a: Assignment[]) => void;
  const all = new Promise<Assignment[]>((r) => (done = r));
  const sub = bus.subscribe({ agent, skills, scope: ALL_TENANTS, concurrency }, (a) => {
    got.push(a);
    if (got.length === n) done(got);
  });
  const waited = within(all, 10_000, `${n} assignments for ${agent}`);
  waited.catch(() => undefined); // rejects only for a test that awaits it
  return { all: waited, sub, got };
}

function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms).unref();
    }),
  ]);
}

/** Waits until the task reaches a terminal state, by watching it. */
async function settled(bus: TaskBus, t: TaskRecord): Promise<TaskRecord> {
  const wait = (async () => {
    for await (const _ of bus.watch(t.tenant, t.id)) {
      // The watch ends after the terminal event.
    }
    return (await bus.tasks.get(t.tenant, t.id))!;
  })();
  return within(wait, 10_000, `task ${t.id} to end`);
}

export function busContract(name: string, make: MakeBus): void {
  describe(`TaskBus contract: ${name}`, () => {
    it('routes a direct task to its agent alone, and records the result', async (t) => {
      const made = await make(t);
      if (!made) return;
      const { bus } = made;
      const tenant = uid('t');
      const [a, b] = [uid('a'), uid('b')];
      const other = collect(bus, b, 1);
      const mine = collect(bus, a, 1);
      const task = await bus.publish(spec(tenant, { agent: a }, { input: { text: 'hi', data: { n: 1 } } }));
      assert.equal(task.state, 'submitted');
      assert.equal(task.attempt, 0);
      const [got] = await mine.all;
      assert.equal(got!.task.id, task.id);
      assert.equal(got!.task.state, 'working');
      assert.equal(got!.task.attempt, 1);
      assert.deepEqual(got!.task.input, { text: 'hi', data: { n: 1 } });
      await got!.artifact({ kind: 'text', name: 'notes', text: 'n' });
      got!.progress({ text: 'half way' });
      const done = await got!.complete({ message: 'done', artifacts: [{ kind: 'data', data: { ok: true } }] });
      assert.equal(done.state, 'completed');
      const stored = (await bus.tasks.get(tenant, task.id))!;
      assert.equal(stored.state, 'completed');
      assert.equal(stored.assignee, a);
      assert.deepEqual(stored.result, {
        message: 'done',
        artifacts: [
          { kind: 'text', name: 'notes', text: 'n' },
          { kind: 'data', data: { ok: true } },
        ],
      });
      const events = await bus.tasks.events(tenant, task.id);
      assert.deepEqual(
        events.map((e) => (e.type === 'state' ? e.state : e.type)),
        ['submitted', 'working', 'artifact', 'progress', 'completed'],
      );
      assert.deepEqual(
        events.map((e) => e.seq),
        [1, 2, 3, 4, 5],
      );
      assert.equal(other.got.length, 0, 'the other agent received nothing');
      await assert.rejects(got!.complete({ message: 'again' }), { code: 'SWIFTLET_ERR_TASK_NOT_HELD' });
    });

    it('gives each skill task to exactly one subscriber with the skill', async (t) => {
      const made = await make(t);
      if (!made) return;
      const { bus } = made;
      const tenant = uid('t');
      const skill = uid('s');
      const seen = new Map<string, string[]>();
      for (const agent of [uid('x'), uid('y')]) {
        bus.subscribe({ agent, skills: [skill], scope: ALL_TENANTS, concurrency: 2 }, (a) => {
          seen.set(a.task.id, [...(seen.get(a.task.id) ?? []), agent]);
          void a.complete({ message: agent });
        });
      }
      const tasks = await Promise.all(Array.from({ length: 20 }, () => bus.publish(spec(tenant, { skill }))));
      const ended = await Promise.all(tasks.map((x) => settled(bus, x)));
      assert.ok(ended.every((x) => x.state === 'completed'));
      assert.equal(seen.size, 20);
      for (const [id, agents] of seen) assert.equal(agents.length, 1, `task ${id} went to ${agents.join(', ')}`);
    });

    it('broadcasts one child per subscriber, and completes the parent when all end', async (t) => {
      const made = await make(t);
      if (!made) return;
      const { bus } = made;
      const tenant = uid('t');
      const skill = uid('s');
      const agents = [uid('p'), uid('q'), uid('r')];
      agents.forEach((agent, i) => {
        bus.subscribe({ agent, skills: i < 2 ? [skill] : [], scope: ALL_TENANTS }, (a) => {
          void a.complete({ message: `from ${agent}` });
        });
      });
      const parent = await bus.publish(spec(tenant, { broadcast: true, filter: { skill } }));
      assert.equal(parent.state, 'working');
      const done = await settled(bus, parent);
      assert.equal(done.state, 'completed');
      assert.deepEqual(
        done.result?.children?.map((c) => [c.agent, c.state]),
        agents
          .slice(0, 2)
          .sort()
          .map((a) => [a, 'completed']),
      );
      const children = await bus.tasks.children(tenant, parent.id);
      assert.equal(children.length, 2);
      await assert.rejects(bus.publish(spec(tenant, { broadcast: true, filter: { skill: uid('none') } })), {
        code: 'SWIFTLET_ERR_NO_SUBSCRIBERS',
      });
    });

    it('hands out a queue by priority, ties in order of publication', async (t) => {
      const made = await make(t);
      if (!made) return;
      const { bus } = made;
      const tenant = uid('t');
      const agent = uid('a');
      const published: TaskRecord[] = [];
      for (const priority of [0, 5, 0, 9, 5, 0]) {
        published.push(await bus.publish(spec(tenant, { agent }, { priority, input: { text: `p${priority}` } })));
      }
      const order: string[] = [];
      const all = new Promise<void>((resolve) => {
        bus.subscribe({ agent, scope: ALL_TENANTS, concurrency: 1 }, (a) => {
          order.push(a.task.id);
          void a.complete({}).then(() => order.length === published.length && resolve());
        });
      });
      await within(all, 10_000, 'the queue');
      const expected = [3, 1, 4, 0, 2, 5].map((i) => published[i]!.id);
      assert.deepEqual(order, expected);
    });

    it('refuses a publish beyond the queue limit with a typed error, and drops nothing', async (t) => {
      const made = await make(t, { maxQueued: 5 });
      if (!made) return;
      const { bus } = made;
      const tenant = uid('t');
      const agent = uid('a');
      const accepted = await Promise.all(Array.from({ length: 5 }, () => bus.publish(spec(tenant, { agent }))));
      const refusal = await bus.publish(spec(tenant, { agent })).then(
        () => assert.fail('the sixth publish was accepted'),
        (err: unknown) => err,
      );
      assert.ok(SwiftletError.isInstance(refusal));
      assert.equal(refusal.code, 'SWIFTLET_ERR_QUEUE_FULL');
      assert.equal(refusal.retryable, true);
      assert.ok((refusal.retryAfterMs ?? 0) > 0);
      const other = await bus.publish(spec(uid('t'), { agent }));
      assert.equal(other.state, 'submitted', "another tenant's queue is its own");
      bus.subscribe({ agent, scope: tenant, concurrency: 5 }, (a) => void a.complete({}));
      const ended = await Promise.all(accepted.map((x) => settled(bus, x)));
      assert.deepEqual(
        ended.map((x) => x.state),
        Array(5).fill('completed'),
      );
    });

    it('redelivers a task whose lease lapsed, and records exactly one completion', async (t) => {
      const made = await make(t, { leaseMs: 300 });
      if (!made) return;
      const { bus } = made;
      const tenant = uid('t');
      const agent = uid('a');
      const first = collect(bus, agent, 2, [], 1);
      const task = await bus.publish(spec(tenant, { agent }));
      const [hung, again] = await first.all;
      assert.equal(hung!.task.id, task.id);
      assert.ok(hung!.signal.aborted, 'the first consumer was told its lease lapsed');
      assert.equal(again!.task.attempt, 2);
      await again!.complete({ message: 'second' });
      await assert.rejects(hung!.complete({ message: 'first' }), { code: 'SWIFTLET_ERR_TASK_NOT_HELD' });
      const stored = (await bus.tasks.get(tenant, task.id))!;
      assert.equal(stored.result?.message, 'second');
      const events = await bus.tasks.events(tenant, task.id);
      assert.equal(events.filter((e) => e.type === 'state' && e.state === 'completed').length, 1);
      assert.equal(events.filter((e) => e.type === 'state' && e.state === 'working').length, 2);
    });

    it('keeps a claim alive with heartbeats, and fails a task whose attempts are used up', async (t) => {
      // Leases long enough for a loaded machine's timers; heartbeats well inside them.
      const made = await make(t, { leaseMs: 600, maxAttempts: 2 });
      if (!made) return;
      const { bus } = made;
      const tenant = uid('t');
      const [kept, dropped] = [uid('k'), uid('d')];
      bus.subscribe({ agent: kept, scope: ALL_TENANTS }, (a) => {
        const beat = setInterval(() => a.heartbeat(), 50);
        setTimeout(() => {
          clearInterval(beat);
          void a.complete({ message: 'held on' });
        }, 1500);
      });
      const claims: number[] = [];
      bus.subscribe({ agent: dropped, scope: ALL_TENANTS }, (a) => void claims.push(a.task.attempt));
      const [x, y] = await Promise.all([
        bus.publish(spec(tenant, { agent: kept })),
        bus.publish(spec(tenant, { agent: dropped })),
      ]);
      const [ex, ey] = await Promise.all([settled(bus, x), settled(bus, y)]);
      assert.equal(ex.state, 'completed');
      assert.equal(ex.attempt, 1, 'heartbeats kept the first claim');
      assert.equal(ey.state, 'failed');
      assert.equal(ey.error?.code, 'SWIFTLET_ERR_ATTEMPTS_EXHAUSTED');
      assert.deepEqual(claims, [1, 2]);
    });

    it('returns the first task for a repeated idempotency key', async (t) => {
      const made = await make(t);
      if (!made) return;
      const { bus } = made;
      const tenant = uid('t');
      const agent = uid('a');
      const a = await bus.publish(spec(tenant, { agent }, { idempotencyKey: 'once' }));
      const b = await bus.publish(spec(tenant, { agent }, { idempotencyKey: 'once', input: { text: 'other' } }));
      assert.equal(b.id, a.id);
      assert.deepEqual([a.created, b.created], [true, false], 'publish tells which call recorded it');
      assert.deepEqual(b.input, { text: 'hello' });
      const { tasks } = await bus.tasks.list(tenant);
      assert.equal(tasks.length, 1);
    });

    it('cancel reaches the running consumer at once; a deadline fails the task and cancels it', async (t) => {
      const made = await make(t);
      if (!made) return;
      const { bus } = made;
      const tenant = uid('t');
      const agent = uid('a');
      const running = collect(bus, agent, 2);
      const x = await bus.publish(spec(tenant, { agent }));
      const y = await bus.publish(spec(tenant, { agent }, { deadline: Date.now() + 300 }));
      const [ax, ay] = await running.all;
      const aborted = new Promise<unknown>((r) => ax!.signal.addEventListener('abort', () => r(ax!.signal.reason)));
      const canceled = await bus.cancel(tenant, x.id, 'not needed');
      assert.equal(canceled?.state, 'canceled');
      assert.equal((await within(aborted, 1000, 'the abort')) instanceof Error, true);
      await assert.rejects(ax!.complete({}), { code: 'SWIFTLET_ERR_TASK_NOT_HELD' });
      const late = await settled(bus, y);
      assert.equal(late.state, 'failed');
      assert.equal(late.error?.code, 'SWIFTLET_ERR_DEADLINE_EXCEEDED');
      assert.ok(ay!.signal.aborted);
      assert.equal((ay!.signal.reason as SwiftletError).code, 'SWIFTLET_ERR_DEADLINE_EXCEEDED');
      assert.equal((await bus.cancel(tenant, x.id))?.state, 'canceled', 'a second cancel changes nothing');
      assert.equal(await bus.cancel(uid('t'), x.id), undefined, "another tenant's id is unknown");
    });

    it('watches a task from any seq to its end', async (t) => {
      const made = await make(t);
      if (!made) return;
      const { bus } = made;
      const tenant = uid('t');
      const agent = uid('a');
      const task = await bus.publish(spec(tenant, { agent }));
      const seen: string[] = [];
      const watching = (async () => {
        for await (const e of bus.watch(tenant, task.id))
          seen.push(`${e.seq}:${e.type === 'state' ? e.state : e.type}`);
      })();
      bus.subscribe({ agent, scope: ALL_TENANTS }, (a) => {
        a.progress({ text: 'one' });
        a.progress({ data: { step: 2 } });
        setTimeout(() => void a.complete({ message: 'ok' }), 20);
      });
      await within(watching, 10_000, 'the watch');
      assert.deepEqual(seen, ['1:submitted', '2:working', '3:progress', '4:progress', '5:completed']);
      const resumed: number[] = [];
      for await (const e of bus.watch(tenant, task.id, { afterSeq: 3 })) resumed.push(e.seq);
      assert.deepEqual(resumed, [4, 5]);
      const past: number[] = [];
      for await (const e of bus.watch(tenant, task.id, { afterSeq: 5 })) past.push(e.seq);
      assert.deepEqual(past, [], 'a watch resumed after the end ends at once');
      const canceled = await bus.publish(spec(tenant, { agent: uid('none') }));
      const before = Date.now();
      const ended = await bus.cancel(tenant, canceled.id);
      assert.ok(ended!.updatedAt >= before, 'cancel returns the record as it now is');
    });

    it("gives a tenant's subscriber only that tenant's tasks", async (t) => {
      const made = await make(t);
      if (!made) return;
      const { bus } = made;
      const [mine, theirs] = [uid('t'), uid('t')];
      const agent = uid('a');
      const got: string[] = [];
      bus.subscribe({ agent, scope: mine, concurrency: 4 }, (a) => {
        got.push(a.task.tenant);
        void a.complete({});
      });
      const foreign = await bus.publish(spec(theirs, { agent }));
      const own = await bus.publish(spec(mine, { agent }));
      await settled(bus, own);
      assert.deepEqual(got, [mine]);
      assert.equal((await bus.tasks.get(theirs, foreign.id))?.state, 'submitted');
    });

    it('fails a task whose handler throws, and redelivers the tasks of a closed subscription', async (t) => {
      const made = await make(t);
      if (!made) return;
      const { bus } = made;
      const tenant = uid('t');
      const [bad, leaving] = [uid('b'), uid('l')];
      bus.subscribe({ agent: bad, scope: ALL_TENANTS }, () => {
        throw new Error('boom');
      });
      const thrown = await settled(bus, await bus.publish(spec(tenant, { agent: bad })));
      assert.equal(thrown.state, 'failed');
      assert.match(thrown.error?.message ?? '', /boom/);

      const first = collect(bus, leaving, 1);
      const task = await bus.publish(spec(tenant, { agent: leaving }));
      const [held] = await first.all;
      await first.sub.close();
      assert.ok(held!.signal.aborted);
      const next = collect(bus, leaving, 1);
      const [again] = await next.all;
      assert.equal(again!.task.id, task.id);
      assert.equal(again!.task.attempt, 2);
      await again!.complete({});
    });

    it('lets a second process on the same store take, cancel and finish tasks, each once', async (t) => {
      const made = await make(t, { sweepMs: 100, leaseMs: 500 });
      if (!made) return;
      const { bus } = made;
      const other = await made.second();
      const tenant = uid('t');
      const agent = uid('a');
      const tasks = await Promise.all(Array.from({ length: 10 }, () => bus.publish(spec(tenant, { agent }))));
      const claimed = new Map<string, number>();
      const take = (b: TaskBus) =>
        b.subscribe({ agent, scope: ALL_TENANTS, concurrency: 3 }, (a) => {
          claimed.set(a.task.id, (claimed.get(a.task.id) ?? 0) + 1);
          void a.complete({});
        });
      take(other);
      take(bus);
      const ended = await Promise.all(tasks.map((x) => settled(bus, x)));
      assert.ok(ended.every((x) => x.state === 'completed'));
      for (const x of tasks) {
        const events = await bus.tasks.events(tenant, x.id);
        assert.equal(events.filter((e) => e.type === 'state' && e.state === 'completed').length, 1);
      }

      // A task held here, canceled by the other process: the consumer here is told within a sweep.
      const slow = uid('s');
      const held = collect(bus, slow, 1);
      const task = await bus.publish(spec(tenant, { agent: slow }));
      const [a] = await held.all;
      a!.heartbeat();
      assert.equal((await other.cancel(tenant, task.id))?.state, 'canceled');
      await within(
        new Promise<void>((r) => (a!.signal.aborted ? r() : a!.signal.addEventListener('abort', () => r()))),
        5000,
        'the cancel from the other process',
      );
    });
  });
}
