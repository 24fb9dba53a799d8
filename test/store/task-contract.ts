// The TaskStore contract: the task records of every SessionStore adapter (memory, sqlite, postgres) pass these cases.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ALL_TENANTS, monotonicId, type TaskRecord, type TaskState } from '../../src/core/index.js';
import type { TaskWrite } from '../../src/store/index.js';
import { uid, type MakeStore } from './contract.js';

export function task(tenant: string, over: Partial<TaskRecord> = {}): TaskRecord {
  const at = Date.now();
  return {
    tenant,
    id: monotonicId('task'),
    target: { agent: 'worker' },
    input: { text: 'do it', data: { n: 1 } },
    requester: { kind: 'key', id: 'k1' },
    priority: 0,
    depth: 0,
    state: 'submitted',
    attempt: 0,
    maxAttempts: 3,
    createdAt: at,
    updatedAt: at,
    lastSeq: 0,
    ...over,
  };
}

const create = (t: TaskRecord): TaskWrite => ({ op: 'create', task: t, events: [{ type: 'state', state: t.state }] });

const claim = (t: TaskRecord, owner: string, leaseUntil: number): TaskWrite => ({
  op: 'update',
  tenant: t.tenant,
  id: t.id,
  guard: { states: ['submitted'], attempt: t.attempt },
  set: { state: 'working', attempt: t.attempt + 1, assignee: 'worker', owner, leaseUntil },
  events: [{ type: 'state', state: 'working', attempt: t.attempt + 1, assignee: 'worker' }],
  at: Date.now(),
});

export function taskStoreContract(name: string, make: MakeStore): void {
  describe(`TaskStore contract: ${name}`, () => {
    it('creates a task with its first event and reads it back', async (t) => {
      const store = await make(t);
      if (!store) return;
      t.after(() => store.close());
      const tenant = uid('t');
      const rec = task(tenant, { deadline: Date.now() + 60_000, parentId: 'task_parent', depth: 1, priority: 5 });
      const [r] = await store.tasks.write([create(rec)]);
      assert.deepEqual(r, { ok: true, lastSeq: 1 });
      assert.deepEqual(await store.tasks.get(tenant, rec.id), { ...rec, lastSeq: 1 });
      const events = await store.tasks.events(tenant, rec.id);
      assert.equal(events.length, 1);
      assert.deepEqual({ ...events[0], at: 0 }, { type: 'state', state: 'submitted', seq: 1, at: 0 });
      assert.equal(await store.tasks.get('other', rec.id), undefined, 'another tenant does not see it');
      assert.deepEqual(await store.tasks.events('other', rec.id), []);
    });

    it('returns the first task for a repeated idempotency key, per tenant', async (t) => {
      const store = await make(t);
      if (!store) return;
      t.after(() => store.close());
      const tenant = uid('t');
      const first = task(tenant, { idempotencyKey: 'k' });
      const second = task(tenant, { idempotencyKey: 'k' });
      const elsewhere = task(uid('t'), { idempotencyKey: 'k' });
      const results = await store.tasks.write([create(first), create(second), create(elsewhere)]);
      assert.equal(results[0]!.ok, true);
      assert.equal(results[1]!.ok, false);
      assert.equal(results[1]!.existing?.id, first.id);
      assert.equal(results[2]!.ok, true, 'keys are per tenant');
      assert.equal(await store.tasks.get(tenant, second.id), undefined);
    });

    it('moves a row only when its guard holds, appending events with their seqs', async (t) => {
      const store = await make(t);
      if (!store) return;
      t.after(() => store.close());
      const tenant = uid('t');
      const rec = task(tenant);
      await store.tasks.write([create(rec)]);
      const lease = Date.now() + 30_000;
      const [won, lost] = await store.tasks.write([claim(rec, 'inst_a', lease), claim(rec, 'inst_b', lease)]);
      assert.deepEqual(won, { ok: true, lastSeq: 2 });
      assert.deepEqual(lost, { ok: false }, 'the second claim of the same attempt loses');
      let got = await store.tasks.get(tenant, rec.id);
      assert.equal(got?.state, 'working');
      assert.equal(got?.attempt, 1);
      assert.equal(got?.assignee, 'worker');
      assert.equal(got?.leaseUntil, lease);

      const done = (owner: string): TaskWrite => ({
        op: 'update',
        tenant,
        id: rec.id,
        guard: { states: ['working'], attempt: 1, owner },
        set: { state: 'completed', owner: null, leaseUntil: null, result: { message: 'ok', artifacts: [] } },
        events: [
          { type: 'artifact', artifact: { kind: 'data', data: { x: [1, 2] } } },
          { type: 'state', state: 'completed' },
        ],
        at: Date.now(),
      });
      assert.deepEqual((await store.tasks.write([done('inst_b')]))[0], { ok: false }, 'not the owner');
      assert.deepEqual((await store.tasks.write([done('inst_a')]))[0], { ok: true, lastSeq: 4 });
      got = await store.tasks.get(tenant, rec.id);
      assert.equal(got?.state, 'completed');
      assert.equal(got?.leaseUntil, undefined);
      assert.deepEqual(got?.result, { message: 'ok', artifacts: [] });
      assert.equal(got?.lastSeq, 4);
      const events = await store.tasks.events(tenant, rec.id, 2);
      assert.deepEqual(
        events.map((e) => [e.seq, e.type]),
        [
          [3, 'artifact'],
          [4, 'state'],
        ],
      );
      assert.deepEqual(events[0], { ...events[0], artifact: { kind: 'data', data: { x: [1, 2] } } });
      assert.equal((await store.tasks.events(tenant, rec.id, 0, 2)).length, 2, 'limit');
    });

    it('guards on a lapsed lease, and keeps an error', async (t) => {
      const store = await make(t);
      if (!store) return;
      t.after(() => store.close());
      const tenant = uid('t');
      const rec = task(tenant);
      await store.tasks.write([create(rec), claim(rec, 'inst_a', 1000)]);
      const requeue = (before: number): TaskWrite => ({
        op: 'update',
        tenant,
        id: rec.id,
        guard: { states: ['working'], leaseBefore: before },
        set: { state: 'failed', owner: null, leaseUntil: null, error: { code: 'E', message: 'lapsed' } },
        events: [{ type: 'state', state: 'failed', error: { code: 'E', message: 'lapsed' } }],
        at: Date.now(),
      });
      assert.equal((await store.tasks.write([requeue(999)]))[0]!.ok, false, 'lease still held at 999');
      assert.equal((await store.tasks.write([requeue(1001)]))[0]!.ok, true);
      const got = await store.tasks.get(tenant, rec.id);
      assert.deepEqual(got?.error, { code: 'E', message: 'lapsed' });
      assert.equal(got?.state, 'failed');
    });

    it('lists newest first with filters, pages, and scopes', async (t) => {
      const store = await make(t);
      if (!store) return;
      t.after(() => store.close());
      const tenant = uid('t');
      const other = uid('t');
      const parent = monotonicId('task');
      const made: TaskRecord[] = [];
      for (let i = 0; i < 5; i++) {
        made.push(task(tenant, { target: { agent: i % 2 ? 'odd' : 'even' }, ...(i < 2 ? { parentId: parent } : {}) }));
      }
      const foreign = task(other);
      await store.tasks.write([...made.map(create), create(foreign), claim(made[4]!, 'inst', Date.now() + 1000)]);
      const ids = (ts: TaskRecord[]): string[] => ts.map((x) => x.id);
      const all = await store.tasks.list(tenant);
      assert.deepEqual(ids(all.tasks), ids([...made].reverse()));
      const p1 = await store.tasks.list(tenant, { limit: 2 });
      assert.equal(p1.tasks.length, 2);
      const p2 = await store.tasks.list(tenant, { limit: 2, cursor: p1.nextCursor! });
      const p3 = await store.tasks.list(tenant, { limit: 2, cursor: p2.nextCursor! });
      assert.deepEqual(ids([...p1.tasks, ...p2.tasks, ...p3.tasks]), ids(all.tasks));
      assert.equal(p3.nextCursor, undefined);
      assert.deepEqual(ids((await store.tasks.list(tenant, { agent: 'odd' })).tasks), ids([made[3]!, made[1]!]));
      assert.deepEqual(ids((await store.tasks.list(tenant, { state: 'working' })).tasks), ids([made[4]!]));
      assert.deepEqual(ids((await store.tasks.list(tenant, { parentId: parent })).tasks), ids([made[1]!, made[0]!]));
      const everyone = await store.tasks.list(ALL_TENANTS, { limit: 1000 });
      const mine = new Set([...ids(made), foreign.id]);
      assert.equal(everyone.tasks.filter((x) => mine.has(x.id)).length, 6);
      assert.deepEqual(ids(await store.tasks.children(tenant, parent)), ids([made[0]!, made[1]!]));
      assert.deepEqual(await store.tasks.children(other, parent), []);
      await assert.rejects(store.tasks.list(tenant, { cursor: 'nope' }), { code: 'SWIFTLET_ERR_INVALID_INPUT' });
    });

    it('finds active tasks across tenants in id order', async (t) => {
      const store = await make(t);
      if (!store) return;
      t.after(() => store.close());
      const states: TaskState[] = ['submitted', 'working', 'completed', 'failed', 'canceled', 'rejected'];
      const made = states.map((state) => task(uid('t'), { state }));
      await store.tasks.write(made.map(create));
      const found = new Set<string>();
      let after = '';
      for (;;) {
        const page = await store.tasks.active(after, 2);
        if (page.length === 0) break;
        for (const x of page) found.add(x.id);
        after = page[page.length - 1]!.id;
      }
      assert.deepEqual(
        made.filter((x) => found.has(x.id)).map((x) => x.state),
        ['submitted', 'working'],
      );
    });
  });
}
