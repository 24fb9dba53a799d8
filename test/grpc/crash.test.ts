// Crash durability of the gRPC broker: an external agent (test/fixtures/grpc-consumer-child.ts, a Node gRPC client
// in a process of its own) subscribes, takes tasks, reports progress and completes them, and is SIGKILLed at random
// moments mid-task, many times, and started again. The broker (a LocalBus on a durable store behind the gRPC server)
// lives in this process, and so do the publishers, so only the consumer dies. The tasks a killed consumer held come
// back when its stream drops: the broker releases them at once (state submitted, "released"), without waiting for
// their lease. Once a last consumer has drained the queue, every task whose Publish was answered has completed
// exactly once: none lost, none completed twice, and the Complete each consumer was answered for is the one kept.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { setMaxListeners } from 'node:events';
import { join } from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import { parse } from 'yaml';
import { LocalBus } from '../../src/bus/index.js';
import { isTerminal, type TaskEvent, type TaskRecord } from '../../src/core/index.js';
import { startGrpcServer } from '../../src/gateway/grpc/index.js';
import { openStore, type OpenStoreOptions } from '../../src/store/index.js';
import { prng } from '../helpers/prng.js';
import { tempDir } from '../helpers/runtime.js';
import { postgresStorage } from '../helpers/services.js';
import { BrokerClient } from './helpers.js';

const CHILD = new URL('../fixtures/grpc-consumer-child.ts', import.meta.url).pathname;
const TSX = import.meta.resolve('tsx');
const AGENT = 'crash-worker';
const LEASE_MS = 800;
/** Tasks one consumer holds at once. */
const IN_FLIGHT = 4;
/** Publishers, each with at most WINDOW of its tasks unfinished: a kill finds tasks held and queued. */
const PUBLISHERS = 2;
const WINDOW = 8;
/** Every wait in this file is bounded by this. */
const WAIT_MS = 20_000;

interface Broker {
  bus: LocalBus;
  address: string;
  /** What the broker reported to its onError: nothing is expected. */
  errors: unknown[];
  /** Closes the server, the bus and the store, before the test's own cleanup (its temp dir, its schema) runs. */
  close(): Promise<void>;
}

async function startBroker(storage: OpenStoreOptions): Promise<Broker> {
  const store = await openStore(storage);
  const errors: unknown[] = [];
  const onError = (err: unknown): number => errors.push(err);
  // Attempts are not what this test counts: a task may be held by several killed consumers in a row.
  const bus = new LocalBus({
    store: store.tasks,
    instanceId: store.instanceId,
    leaseMs: LEASE_MS,
    sweepMs: 200,
    maxAttempts: 1000,
    onError,
  });
  await bus.start();
  // An ack timeout past the lease: a task given back "released" was given back by its stream's end, nothing else.
  const server = await startGrpcServer({
    bus,
    host: '127.0.0.1',
    port: 0,
    apiKeys: [],
    leaseMs: LEASE_MS,
    ackTimeoutMs: 10 * LEASE_MS,
    onError,
  }).catch(async (err: unknown) => {
    await bus.close();
    await store.close();
    throw err;
  });
  return {
    bus,
    address: `127.0.0.1:${server.port}`,
    errors,
    close: async () => {
      await server.close();
      await bus.close();
      await store.close();
    },
  };
}

/** A Complete the consumer was answered for. */
interface Done {
  id: string;
  attempt: number;
}

/**
 * Runs a consumer until it has printed READY and then `until` resolves, and SIGKILLs it; resolves with the
 * completions it printed, once it has exited.
 */
async function runConsumer(address: string, seed: number, until: () => Promise<unknown>): Promise<Done[]> {
  const child = spawn(process.execPath, ['--import', TSX, CHILD, address, AGENT, String(IN_FLIGHT), String(seed)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  try {
    const deadline = Date.now() + WAIT_MS;
    while (!out.includes('READY\n')) {
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`the consumer did not subscribe: ${err}`);
      await new Promise((r) => setTimeout(r, 10));
    }
    await Promise.race([
      until(),
      exited.then(() => {
        throw new Error(`the consumer exited on its own (${child.exitCode}): ${err.slice(-2000)}`);
      }),
    ]);
  } finally {
    child.kill('SIGKILL');
    await exited;
  }
  return out.split('\n').flatMap((l) => {
    const m = /^DONE (\S+) (\d+)$/.exec(l);
    return m ? [{ id: m[1]!, attempt: Number(m[2]) }] : [];
  });
}

/** The task's first event after `afterSeq` that is a state, waited for on the bus. */
async function nextState(bus: LocalBus, id: string, afterSeq: number): Promise<TaskEvent & { type: 'state' }> {
  for await (const e of bus.watch('local', id, { afterSeq, signal: AbortSignal.timeout(WAIT_MS) })) {
    if (e.type === 'state') return e;
  }
  throw new Error(`task ${id} has no state after seq ${afterSeq}`);
}

/**
 * Publishers over gRPC, each keeping at most WINDOW of its tasks unfinished, until `stop`; a task counts as
 * acknowledged once its Publish was answered. `settled` resolves once every acknowledged task has ended (or `signal`
 * aborted: the checks that follow then say which did not).
 */
function publish(broker: Broker, signal: AbortSignal) {
  const client = new BrokerClient(broker.address, undefined);
  const acked = new Set<string>();
  const ends: Promise<void>[] = [];
  const ended = async (id: string): Promise<void> => {
    try {
      for await (const e of broker.bus.watch('local', id, { signal })) {
        if (e.type === 'state' && isTerminal(e.state)) return;
      }
    } catch {
      // Aborted: what did not end is reported by the checks.
    }
  };
  let publishing = true;
  const publishers = Array.from({ length: PUBLISHERS }, async (_, k) => {
    const open: Promise<void>[] = [];
    for (let i = 0; publishing; i++) {
      const task = await client.call('Publish', { target: { agent: AGENT }, text: `task ${i} of publisher ${k}` });
      acked.add(task.id as string);
      const end = ended(task.id as string);
      ends.push(end);
      open.push(end);
      if (open.length >= WINDOW) await open.shift();
    }
  });
  // A failure is seen by `settled`; one after a failed check, when nobody waits any more, is not reported twice.
  for (const p of publishers) p.catch(() => undefined);
  return {
    acked,
    stop: () => (publishing = false),
    /** The publishers have stopped and every task they had answered has ended. */
    settled: async (): Promise<void> => {
      await Promise.all(publishers);
      await Promise.all(ends);
    },
    close: () => client.raw.close(),
  };
}

function crashSuite(name: string, kills: number, storageFor: (t: TestContext) => Promise<OpenStoreOptions | null>) {
  describe(`gRPC consumer crash durability (${name})`, () => {
    test(`the consumer SIGKILLed mid-task ${kills} times: every published task completes exactly once`, async (t) => {
      const storage = await storageFor(t);
      if (!storage) return;
      const seed = Number(process.env.SWIFTLET_CRASH_SEED ?? Date.now() % 100000);
      t.diagnostic(`seed ${seed} (replay with SWIFTLET_CRASH_SEED=${seed})`);
      const rand = prng(seed);
      const broker = await startBroker(storage);
      const { bus } = broker;
      const stop = new AbortController();
      const deadline = AbortSignal.any([stop.signal, AbortSignal.timeout(4 * WAIT_MS)]);
      setMaxListeners(PUBLISHERS * WINDOW + 1, deadline);
      const publishers = publish(broker, deadline);
      try {
        const done: Done[] = [];
        let released = 0;
        let finished = 0;
        for (let k = 0; k < kills; k++) {
          const killAfter = 50 + Math.floor(rand() * 350);
          // The only subscriber is the consumer about to die: the tasks working just before the kill are its own.
          let held: TaskRecord[] = [];
          const beforeKill = async (): Promise<void> => {
            await new Promise((r) => setTimeout(r, killAfter));
            held = (await bus.tasks.list('local', { state: 'working', limit: 1000 })).tasks;
          };
          done.push(...(await runConsumer(broker.address, seed + k, beforeKill)));
          // Its stream dropped, so each goes back to its queue at once, released, not after its lease; or it
          // completed, its Complete having reached the broker before the kill.
          for (const task of held) {
            const next = await nextState(bus, task.id, task.lastSeq);
            if (next.state === 'completed') {
              finished++;
              continue;
            }
            assert.equal(next.state, 'submitted', `task ${task.id} held by the killed consumer`);
            assert.equal(next.message, 'released', `task ${task.id} went back when the stream dropped`);
            released++;
          }
        }
        // A last consumer drains the queue; the publishers stop once their open tasks have ended.
        publishers.stop();
        done.push(...(await runConsumer(broker.address, seed + kills, publishers.settled)));

        const { redelivered, leaseLapsed } = await check(bus, publishers.acked, done);
        t.diagnostic(
          `${publishers.acked.size} tasks over ${kills} kills; held at a kill: ${released} released, ${finished} ` +
            `completed; ${redelivered} redelivered, ${leaseLapsed} lease lapses, ${done.length} completions answered`,
        );
        assert.ok(released > 0, 'some kill found tasks in flight');
        assert.ok(redelivered > 0, 'some task was delivered again (attempt 2 or more)');
        assert.ok(publishers.acked.size > kills * IN_FLIGHT, 'the consumers took tasks between kills');
        assert.deepEqual(broker.errors, []);
      } finally {
        publishers.stop();
        stop.abort();
        publishers.close();
        await broker.close();
      }
    });
  });
}

/**
 * Every acknowledged task completed exactly once, with one claim per attempt in its log, and each Complete a consumer
 * was answered for is the one its task kept.
 */
async function check(bus: LocalBus, acked: Set<string>, done: Done[]) {
  let redelivered = 0;
  let leaseLapsed = 0;
  for (const id of acked) {
    const task = await bus.tasks.get('local', id);
    assert.ok(task, `acknowledged task ${id} is missing`);
    assert.equal(task.state, 'completed', `task ${id} is ${task.state}: ${JSON.stringify(task.error)}`);
    const events = await bus.tasks.events('local', id);
    const states = events.flatMap((e) => (e.type === 'state' ? [e] : []));
    const terminal = states.filter((e) => isTerminal(e.state));
    assert.equal(terminal.length, 1, `task ${id} ended ${terminal.length} times`);
    assert.equal(events.at(-1), terminal[0], `task ${id}: nothing after its end`);
    const claims = states.filter((e) => e.state === 'working');
    assert.deepEqual(
      claims.map((e) => e.attempt),
      Array.from({ length: task.attempt }, (_, i) => i + 1),
      `task ${id}: one claim per attempt`,
    );
    for (const back of states.slice(1).filter((e) => e.state === 'submitted')) {
      assert.ok(back.message === 'released' || back.message === 'lease lapsed', `task ${id}: ${back.message}`);
      if (back.message === 'lease lapsed') leaseLapsed++;
    }
    if (task.attempt > 1) redelivered++;
  }
  const answered = new Map<string, number>();
  for (const d of done) {
    assert.ok(acked.has(d.id), `a consumer completed ${d.id}, which was never published`);
    assert.ok(!answered.has(d.id), `task ${d.id} was completed at attempts ${answered.get(d.id)} and ${d.attempt}`);
    answered.set(d.id, d.attempt);
    assert.equal((await bus.tasks.get('local', d.id))!.attempt, d.attempt, `task ${d.id}: the completing attempt`);
  }
  return { redelivered, leaseLapsed };
}

crashSuite('SQLite', 12, async (t) => ({ driver: 'sqlite', path: join(tempDir(t), 'tasks.db') }));

crashSuite('PostgreSQL', 10, async (t) => {
  const storage = await postgresStorage(t, 'swiftlet_grpc_crash');
  return storage === null ? null : (parse(storage) as OpenStoreOptions);
});
