// The broker over gRPC, driven by a Node client on the repository's .proto: an external agent subscribing, acking,
// reporting and completing; routing, cancel, deadlines, leases and redelivery; keys and tenants.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { randomUUID } from 'node:crypto';
import { startGrpcServer } from '../../src/gateway/grpc/index.js';
import { failsWith, grpc, startBroker, type Msg } from './helpers.js';

const uid = (p: string): string => `${p}-${randomUUID().slice(0, 8)}`;
const states = (events: Msg[]): string[] =>
  events.map((e) => (e.event === 'state' ? (e.state.state as string).replace('TASK_STATE_', '') : e.event));

describe('gRPC broker: an external agent', () => {
  it('subscribes, acks, streams progress, adds an artifact and completes; the publisher watches it end', async (t) => {
    const broker = await startBroker(t);
    const agent = uid('worker');
    const sub = broker.client().subscribe(agent);
    const ready = await sub.next('subscribed');
    assert.equal(ready.agent, agent);
    assert.equal(ready.tenant, 'local');
    assert.equal(ready.max_in_flight, 1);
    assert.ok(ready.lease_ms > 0 && ready.ack_timeout_ms > 0);

    const publisher = broker.client();
    const task = await publisher.call('Publish', {
      target: { agent },
      text: 'translate',
      data_json: JSON.stringify({ lang: 'fr' }),
      priority: 3,
      idempotency_key: 'k-1',
    });
    assert.equal(task.state, 'TASK_STATE_SUBMITTED');
    assert.equal(task.target.agent, agent);
    assert.equal(task.attempt, 0);
    const watched = publisher.watch(task.id);

    const { task: held, attempt } = await sub.next('assignment');
    assert.equal(held.id, task.id);
    assert.equal(attempt, 1);
    assert.equal(held.state, 'TASK_STATE_WORKING');
    assert.equal(held.text, 'translate');
    assert.deepEqual(JSON.parse(held.data_json), { lang: 'fr' });
    assert.equal(held.priority, 3);
    sub.ack(held.id);

    const worker = broker.client();
    await worker.call('Progress', { task_id: held.id, text: 'half way' });
    await worker.call('Progress', { task_id: held.id, data_json: JSON.stringify({ pct: 90 }) });
    await worker.call('Progress', { task_id: held.id }); // a heartbeat: no event
    await worker.call('AddArtifact', { task_id: held.id, artifact: { name: 'notes', text: 'n' } });
    const done = await worker.call('Complete', {
      task_id: held.id,
      message: 'bonjour',
      artifacts: [{ data_json: JSON.stringify({ ok: true }) }],
    });
    assert.equal(done.state, 'TASK_STATE_COMPLETED');
    assert.equal(done.result.message, 'bonjour');
    assert.deepEqual(
      done.result.artifacts.map((a: Msg) => [a.name, a.content]),
      [
        ['notes', 'text'],
        ['', 'data_json'],
      ],
    );

    const events = await watched;
    assert.deepEqual(states(events), ['SUBMITTED', 'WORKING', 'progress', 'progress', 'artifact', 'COMPLETED']);
    assert.deepEqual(
      events.map((e) => e.seq),
      [1, 2, 3, 4, 5, 6],
    );
    assert.equal(events[1]!.state.assignee, agent);
    assert.equal(events[2]!.progress.text, 'half way');
    assert.deepEqual(JSON.parse(events[3]!.progress.data_json), { pct: 90 });
    // A watch from a seq sees only what came after it.
    assert.deepEqual(states(await publisher.watch(task.id, 5)), ['COMPLETED']);

    const got = await publisher.call('Get', { task_id: task.id });
    assert.equal(got.state, 'TASK_STATE_COMPLETED');
    assert.equal(got.assignee, agent);
    assert.equal(got.requester.kind, 'key');
    assert.equal(got.idempotency_key, 'k-1');
    // Publishing again with the same idempotency key answers the first task.
    const again = await publisher.call('Publish', { target: { agent }, text: 'x', idempotency_key: 'k-1' });
    assert.equal(again.id, task.id);
    // The task ended: a second Complete is refused.
    await failsWith(worker.call('Complete', { task_id: held.id }), grpc.status.FAILED_PRECONDITION);
    sub.close();
  });

  it('routes skill tasks to exactly one of two gRPC subscribers, and direct tasks to their agent only', async (t) => {
    const broker = await startBroker(t);
    const skill = uid('summarize');
    const names = [uid('a'), uid('b')];
    const bystander = broker.client().subscribe(uid('other'), [uid('unrelated')], 4);
    await bystander.next('subscribed');
    const seen = new Map<string, string[]>();
    const serving = names.map(async (agent) => {
      const client = broker.client();
      const sub = client.subscribe(agent, [skill], 2);
      await sub.next('subscribed');
      return { agent, sub, client };
    });
    const subs = await Promise.all(serving);
    const publisher = broker.client();
    const n = 8;
    const tasks = await Promise.all(
      Array.from({ length: n }, (_, i) => publisher.call('Publish', { target: { skill }, text: `t${i}` })),
    );
    const direct = await publisher.call('Publish', { target: { agent: names[1] }, text: 'for b' });
    // Each subscriber completes what it gets until its stream is closed, once every task has ended.
    const work = subs.map(async ({ agent, sub, client }) => {
      for (;;) {
        let a: Msg;
        try {
          a = await sub.next('assignment');
        } catch {
          return;
        }
        seen.set(a.task.id, [...(seen.get(a.task.id) ?? []), agent]);
        sub.ack(a.task.id);
        await client.call('Complete', { task_id: a.task.id, message: agent });
      }
    });
    await Promise.all([...tasks, direct].map((x) => publisher.watch(x.id)));
    for (const { sub } of subs) sub.close();
    await Promise.all(work);
    assert.equal(seen.size, n + 1, 'every task was delivered');
    for (const [id, by] of seen) assert.equal(by.length, 1, `task ${id} went to one subscriber: ${by.join(', ')}`);
    assert.deepEqual(seen.get(direct.id), [names[1]]);
    const counts = names.map((a) => [...seen.values()].filter((by) => by[0] === a).length);
    assert.ok(
      counts.every((c) => c > 0),
      `both subscribers served skill tasks: ${counts.join(', ')}`,
    );
    for (const task of tasks) {
      const got = await publisher.call('Get', { task_id: task.id });
      assert.equal(got.state, 'TASK_STATE_COMPLETED');
      assert.equal(got.result.message, got.assignee);
    }
    assert.equal(bystander.received.length, 1, 'the subscriber without the skill got nothing but its subscribed');
    bystander.close();
  });

  it('a cancel reaches the subscriber as a Cancel message; its later Complete is refused', async (t) => {
    const broker = await startBroker(t);
    const agent = uid('worker');
    const worker = broker.client();
    const sub = worker.subscribe(agent);
    await sub.next('subscribed');
    const publisher = broker.client();
    const task = await publisher.call('Publish', { target: { agent }, text: 'long job' });
    const { task: held } = await sub.next('assignment');
    sub.ack(held.id);
    await worker.call('Progress', { task_id: held.id, text: 'started' });
    const canceled = await publisher.call('Cancel', { task_id: task.id, reason: 'no longer needed' });
    assert.equal(canceled.state, 'TASK_STATE_CANCELED');
    const cancel = await sub.next('cancel');
    assert.equal(cancel.task_id, task.id);
    assert.equal(cancel.code, 'SWIFTLET_ERR_ABORTED');
    assert.match(cancel.reason, /no longer needed/);
    const err = await failsWith(worker.call('Complete', { task_id: held.id }), grpc.status.FAILED_PRECONDITION);
    assert.deepEqual(err.metadata.get('swiftlet-error-code'), ['SWIFTLET_ERR_TASK_NOT_HELD']);
    await failsWith(worker.call('Progress', { task_id: held.id, text: 'x' }), grpc.status.FAILED_PRECONDITION);
    assert.equal((await publisher.call('Get', { task_id: task.id })).state, 'TASK_STATE_CANCELED');
    sub.close();
  });

  it('reports on the Subscribe stream itself: progress, complete and fail, each end answered by ended', async (t) => {
    const broker = await startBroker(t);
    const agent = uid('worker');
    const worker = broker.client();
    const sub = worker.subscribe(agent, [], 3);
    await sub.next('subscribed');
    const publisher = broker.client();
    const tasks = [];
    for (const text of ['one', 'two', 'three'])
      tasks.push(await publisher.call('Publish', { target: { agent }, text }));
    const held = new Map<string, Msg>();
    for (let i = 0; i < 3; i++) {
      const { task } = await sub.next('assignment');
      held.set(task.text, task);
    }
    const [one, two, three] = ['one', 'two', 'three'].map((k) => held.get(k)!);
    const watched = publisher.watch(one!.id);
    // No ack: a report on the stream acknowledges the assignment.
    sub.report('progress', { task_id: one!.id, text: 'half way' });
    sub.report('progress', { task_id: one!.id }); // a heartbeat: no event
    sub.report('complete', { task_id: one!.id, message: 'done', artifacts: [{ name: 'n', text: 'notes' }] });
    assert.deepEqual(await sub.next('ended'), { task_id: one!.id, state: 'TASK_STATE_COMPLETED', error: null });
    assert.deepEqual(states(await watched), ['SUBMITTED', 'WORKING', 'progress', 'COMPLETED']);
    const got = await publisher.call('Get', { task_id: one!.id });
    assert.equal(got.result.message, 'done');
    assert.equal(got.result.artifacts[0].text, 'notes');

    // A bad artifact is refused and the task stays held; fail and reject then end the others.
    sub.report('complete', { task_id: two!.id, artifacts: [{ name: 'x', data_json: '{not json' }] });
    const bad = await sub.next('ended');
    assert.equal(bad.state, 'TASK_STATE_UNSPECIFIED');
    assert.equal(bad.error.code, 'SWIFTLET_ERR_INVALID_INPUT');
    assert.match(bad.error.message, /^artifacts\[0\]/);
    sub.report('fail', { task_id: two!.id, code: 'MY_BAD_INPUT', message: 'no' });
    assert.equal((await sub.next('ended')).state, 'TASK_STATE_FAILED');
    sub.report('fail', { task_id: three!.id, message: 'not mine', reject: true });
    assert.equal((await sub.next('ended')).state, 'TASK_STATE_REJECTED');
    assert.deepEqual((await publisher.call('Get', { task_id: two!.id })).error, {
      code: 'MY_BAD_INPUT',
      message: 'no',
    });

    // Ending a task again, or one this stream never held, is refused with TASK_NOT_HELD; the stream goes on.
    sub.report('complete', { task_id: one!.id });
    assert.equal((await sub.next('ended')).error.code, 'SWIFTLET_ERR_TASK_NOT_HELD');
    sub.report('fail', { task_id: 'tsk_unknown' });
    const unknown = await sub.next('ended');
    assert.deepEqual([unknown.task_id, unknown.error.code], ['tsk_unknown', 'SWIFTLET_ERR_TASK_NOT_HELD']);
    const next = await publisher.call('Publish', { target: { agent }, text: 'four' });
    assert.equal((await sub.next('assignment')).task.id, next.id);
    sub.close();
  });

  it("Fail ends a task FAILED with the consumer's code; with reject, REJECTED; neither is retried", async (t) => {
    const broker = await startBroker(t);
    const agent = uid('worker');
    const worker = broker.client();
    const sub = worker.subscribe(agent, [], 2);
    await sub.next('subscribed');
    const publisher = broker.client();
    const [a, b] = [
      await publisher.call('Publish', { target: { agent }, text: 'bad input' }),
      await publisher.call('Publish', { target: { agent }, text: 'not mine' }),
    ];
    const ids = new Set([(await sub.next('assignment')).task.id, (await sub.next('assignment')).task.id]);
    assert.deepEqual(ids, new Set([a.id, b.id]));
    const failed = await worker.call('Fail', { task_id: a.id, code: 'SHOUTER_BAD_INPUT', message: 'no text' });
    assert.equal(failed.state, 'TASK_STATE_FAILED');
    assert.deepEqual(failed.error, { code: 'SHOUTER_BAD_INPUT', message: 'no text' });
    const rejected = await worker.call('Fail', { task_id: b.id, message: 'declined', reject: true });
    assert.equal(rejected.state, 'TASK_STATE_REJECTED');
    assert.equal(rejected.error.code, 'SWIFTLET_ERR_INTERNAL');
    assert.equal((await publisher.call('Get', { task_id: a.id })).attempt, 1);
    await failsWith(worker.call('Fail', { task_id: a.id }), grpc.status.FAILED_PRECONDITION);
    sub.close();
  });

  it('a deadline passing reaches the subscriber as a Cancel; the task fails with deadline_exceeded', async (t) => {
    const broker = await startBroker(t);
    const agent = uid('worker');
    const worker = broker.client();
    const sub = worker.subscribe(agent);
    await sub.next('subscribed');
    const publisher = broker.client();
    const task = await publisher.call('Publish', { target: { agent }, text: 'quick', deadline_ms: Date.now() + 400 });
    assert.ok(task.deadline_ms > 0);
    const { task: held } = await sub.next('assignment');
    sub.ack(held.id);
    const cancel = await sub.next('cancel');
    assert.equal(cancel.task_id, task.id);
    assert.equal(cancel.code, 'SWIFTLET_ERR_DEADLINE_EXCEEDED');
    await failsWith(worker.call('Complete', { task_id: held.id }), grpc.status.FAILED_PRECONDITION);
    const got = await publisher.call('Get', { task_id: task.id });
    assert.equal(got.state, 'TASK_STATE_FAILED');
    assert.equal(got.error.code, 'SWIFTLET_ERR_DEADLINE_EXCEEDED');
    sub.close();
  });
});

describe('gRPC broker: redelivery', () => {
  it('a subscriber that disconnects mid-task has the task redelivered to another, as attempt 2', async (t) => {
    const broker = await startBroker(t);
    const agent = uid('worker');
    const first = broker.client();
    const sub1 = first.subscribe(agent);
    await sub1.next('subscribed');
    const publisher = broker.client();
    const task = await publisher.call('Publish', { target: { agent }, text: 'survive me' });
    const { task: held } = await sub1.next('assignment');
    sub1.ack(held.id);
    await first.call('Progress', { task_id: held.id, text: 'working' });

    const second = broker.client();
    const sub2 = second.subscribe(agent);
    await sub2.next('subscribed');
    sub1.close(); // the process died, as far as the broker can tell
    const { task: again, attempt } = await sub2.next('assignment');
    assert.equal(again.id, task.id);
    assert.equal(attempt, 2);
    sub2.ack(again.id);
    const done = await second.call('Complete', { task_id: task.id, message: 'second time lucky' });
    assert.equal(done.attempt, 2);
    const events = await publisher.watch(task.id);
    assert.deepEqual(states(events), ['SUBMITTED', 'WORKING', 'progress', 'SUBMITTED', 'WORKING', 'COMPLETED']);
    assert.equal(events[4]!.state.attempt, 2);
    sub2.close();
  });

  it('a nack gives the task back; an assignment left unacknowledged is released after the ack timeout', async (t) => {
    const broker = await startBroker(t, { grpc: { ackTimeoutMs: 300 } });
    const agent = uid('worker');
    const worker = broker.client();
    const sub = worker.subscribe(agent);
    assert.equal((await sub.next('subscribed')).ack_timeout_ms, 300);
    const publisher = broker.client();
    const task = await publisher.call('Publish', { target: { agent }, text: 'pick me' });
    const first = await sub.next('assignment');
    assert.equal(first.attempt, 1);
    sub.nack(task.id, 'busy');
    const second = await sub.next('assignment');
    assert.equal(second.task.id, task.id);
    assert.equal(second.attempt, 2);
    // Not acked: released after 300 ms, with a cancel saying so, and offered again.
    const cancel = await sub.next('cancel');
    assert.equal(cancel.code, 'SWIFTLET_ERR_TASK_NOT_HELD');
    assert.match(cancel.reason, /not acknowledged/);
    const third = await sub.next('assignment');
    assert.equal(third.attempt, 3);
    // A report acknowledges it too.
    await worker.call('Progress', { task_id: task.id, text: 'on it' });
    const done = await worker.call('Complete', { task_id: task.id });
    assert.equal(done.state, 'TASK_STATE_COMPLETED');
    assert.equal(done.attempt, 3);
    sub.close();
  });

  it('a held task without progress for a lease is taken back (Cancel) and redelivered; Progress keeps it', async (t) => {
    const broker = await startBroker(t, { leaseMs: 500 });
    const agent = uid('worker');
    const worker = broker.client();
    const sub = worker.subscribe(agent);
    assert.equal((await sub.next('subscribed')).lease_ms, 500);
    const publisher = broker.client();
    const task = await publisher.call('Publish', { target: { agent }, text: 'slow' });
    const { task: held } = await sub.next('assignment');
    sub.ack(held.id);
    const cancel = await sub.next('cancel');
    assert.equal(cancel.task_id, task.id);
    assert.equal(cancel.code, 'SWIFTLET_ERR_TASK_NOT_HELD');
    assert.match(cancel.reason, /lease/);
    const again = await sub.next('assignment');
    assert.equal(again.attempt, 2);
    sub.ack(task.id);
    // Heartbeats every 100 ms for three leases' time keep it, then it completes.
    for (let i = 0; i < 15; i++) {
      await worker.call('Progress', { task_id: task.id });
      await new Promise((r) => setTimeout(r, 100));
    }
    const done = await worker.call('Complete', { task_id: task.id });
    assert.equal(done.state, 'TASK_STATE_COMPLETED');
    assert.equal(done.attempt, 2);
    sub.close();
  });
});

describe('gRPC broker: keys, tenants and errors', () => {
  const keys = [
    { name: 'alice', tenant: 'acme' },
    { name: 'bob', tenant: 'globex' },
    { name: 'limited', tenant: 'acme', agents: ['helper'] },
    { name: 'ops', tenant: 'ops', admin: true },
  ];

  it('no key or an unknown key: UNAUTHENTICATED, for calls and streams', async (t) => {
    const broker = await startBroker(t, { keys });
    for (const client of [broker.client(), broker.client('nobody')]) {
      const err = await failsWith(
        client.call('Publish', { target: { agent: 'x' }, text: 'x' }),
        grpc.status.UNAUTHENTICATED,
      );
      assert.deepEqual(err.metadata.get('swiftlet-error-code'), ['SWIFTLET_ERR_UNAUTHORIZED']);
      await failsWith(client.call('Get', { task_id: 'task_x' }), grpc.status.UNAUTHENTICATED);
      const sub = client.subscribe('x');
      assert.equal((await sub.error()).code, grpc.status.UNAUTHENTICATED);
    }
  });

  it("another tenant's task answers NOT_FOUND exactly as an unknown id; subscribers see their tenant only", async (t) => {
    const broker = await startBroker(t, { keys });
    const agent = uid('worker');
    const bobs = broker.client('bob').subscribe(agent);
    await bobs.next('subscribed');
    const alice = broker.client('alice');
    const alices = alice.subscribe(agent);
    assert.equal((await alices.next('subscribed')).tenant, 'acme');
    const task = await alice.call('Publish', { target: { agent }, text: 'acme only' });
    assert.equal(task.tenant, 'acme');
    const { task: held } = await alices.next('assignment');
    assert.equal(held.id, task.id);
    alices.ack(held.id);

    const bob = broker.client('bob');
    const unknown = task.id.slice(0, -4) + 'ZZZZ';
    for (const method of ['Get', 'Cancel']) {
      const theirs = await failsWith(bob.call(method, { task_id: task.id }), grpc.status.NOT_FOUND);
      const none = await failsWith(bob.call(method, { task_id: unknown }), grpc.status.NOT_FOUND);
      assert.equal(theirs.details.replace(task.id, '<id>'), none.details.replace(unknown, '<id>'));
      assert.deepEqual(theirs.metadata.get('swiftlet-error-code'), none.metadata.get('swiftlet-error-code'));
    }
    await failsWith(bob.watch(task.id), grpc.status.NOT_FOUND);
    // Bob holds nothing of Acme's: his reports on its task are refused, and Alice's stream still holds it.
    await failsWith(bob.call('Complete', { task_id: task.id }), grpc.status.FAILED_PRECONDITION);
    // Naming another tenant takes an admin key.
    await failsWith(bob.call('Get', { task_id: task.id, tenant: 'acme' }), grpc.status.PERMISSION_DENIED);
    const ops = broker.client('ops');
    await failsWith(ops.call('Get', { task_id: task.id }), grpc.status.NOT_FOUND);
    assert.equal((await ops.call('Get', { task_id: task.id, tenant: 'acme' })).tenant, 'acme');

    const done = await alice.call('Complete', { task_id: task.id, message: 'ok' });
    assert.equal(done.state, 'TASK_STATE_COMPLETED');
    assert.equal(bobs.received.length, 1, "Bob's subscriber of the same agent got nothing of Acme's");
    bobs.close();
    alices.close();
  });

  it('an admin subscriber serves every tenant', async (t) => {
    const broker = await startBroker(t, { keys });
    const agent = uid('worker');
    const ops = broker.client('ops');
    const sub = ops.subscribe(agent);
    assert.equal((await sub.next('subscribed')).tenant, '*');
    const a = await broker.client('alice').call('Publish', { target: { agent }, text: 'a' });
    const b = await broker.client('bob').call('Publish', { target: { agent }, text: 'b' });
    const got = new Set<string>();
    for (let i = 0; i < 2; i++) {
      const { task } = await sub.next('assignment');
      got.add(`${task.tenant}/${task.id}`);
      await ops.call('Complete', { task_id: task.id });
    }
    assert.deepEqual(got, new Set([`acme/${a.id}`, `globex/${b.id}`]));
    sub.close();
  });

  it('a key with an agent list publishes to and subscribes as those agents only: PERMISSION_DENIED', async (t) => {
    const broker = await startBroker(t, { keys });
    const limited = broker.client('limited');
    const denied = await failsWith(
      limited.call('Publish', { target: { agent: 'other' }, text: 'x' }),
      grpc.status.PERMISSION_DENIED,
    );
    assert.match(denied.details, /^target\.agent: /);
    assert.deepEqual(denied.metadata.get('swiftlet-field'), ['target.agent']);
    await failsWith(limited.call('Publish', { target: { skill: 's' }, text: 'x' }), grpc.status.PERMISSION_DENIED);
    await failsWith(limited.call('Publish', { target: { broadcast: {} }, text: 'x' }), grpc.status.PERMISSION_DENIED);
    const bad = limited.subscribe('other');
    const err = await bad.error();
    assert.equal(err.code, grpc.status.PERMISSION_DENIED);
    assert.match(err.details, /^start\.agent: /);

    const sub = limited.subscribe('helper');
    await sub.next('subscribed');
    const task = await limited.call('Publish', { target: { agent: 'helper' }, text: 'mine' });
    const { task: held } = await sub.next('assignment');
    assert.equal(held.id, task.id);
    await limited.call('Complete', { task_id: held.id });
    // A task of its tenant for another agent is not for it to see.
    const other = await broker.client('alice').call('Publish', { target: { agent: 'else' }, text: 'x' });
    await failsWith(limited.call('Get', { task_id: other.id }), grpc.status.NOT_FOUND);
    assert.equal((await limited.call('Get', { task_id: task.id })).state, 'TASK_STATE_COMPLETED');
    sub.close();
  });

  it('INVALID_ARGUMENT names the field; a full queue is RESOURCE_EXHAUSTED with its retry delay', async (t) => {
    const broker = await startBroker(t, { maxQueued: 1 });
    const client = broker.client();
    const cases: [Msg, string][] = [
      [{ text: 'x' }, 'target'],
      [{ target: { agent: 'a b' }, text: 'x' }, 'target.agent'],
      [{ target: { agent: 'a' } }, 'text'],
      [{ target: { agent: 'a' }, data_json: '{nope' }, 'data_json'],
      [{ target: { agent: 'a' }, text: 'x', deadline_ms: -1 }, 'deadline_ms'],
    ];
    for (const [req, field] of cases) {
      const err = await failsWith(client.call('Publish', req), grpc.status.INVALID_ARGUMENT);
      assert.ok(err.details.startsWith(`${field}: `), `${field}: ${err.details}`);
      assert.deepEqual(err.metadata.get('swiftlet-field'), [field]);
    }
    const orphan = await failsWith(
      client.call('Publish', { target: { agent: 'a' }, text: 'x', parent_id: 'task_unknown' }),
      grpc.status.NOT_FOUND,
    );
    assert.match(orphan.details, /^parent_id: /);
    const agent = uid('nobody');
    const first = await client.call('Publish', { target: { agent }, text: 'one' });
    assert.equal(first.requester.id, 'anonymous');
    const full = await failsWith(
      client.call('Publish', { target: { agent }, text: 'two' }),
      grpc.status.RESOURCE_EXHAUSTED,
    );
    assert.deepEqual(full.metadata.get('swiftlet-error-code'), ['SWIFTLET_ERR_QUEUE_FULL']);
    assert.deepEqual(full.metadata.get('retry-after-ms'), ['1000']);
    assert.match(full.details, /retry after 1000 ms/);
    // A broadcast nobody would receive.
    await failsWith(client.call('Publish', { target: { broadcast: {} }, text: 'x' }), grpc.status.FAILED_PRECONDITION);
    // A bad start ends the stream.
    const err = await client.subscribe('').error();
    assert.equal(err.code, grpc.status.INVALID_ARGUMENT);
    assert.match(err.details, /^start\.agent: /);
  });

  it('refuses a non-loopback address without API keys', async () => {
    await assert.rejects(
      startGrpcServer({ bus: {} as never, host: '0.0.0.0', port: 0, apiKeys: [] }),
      (err: Error & { code?: string; field?: string }) =>
        err.code === 'SWIFTLET_ERR_CONFIG_INVALID' && err.field === 'server.grpc.host',
    );
  });
});
