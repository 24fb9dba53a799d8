// NATS is not trusted with acknowledged work: the store is. Under a steady load of tasks, two instances on one store
// keep every accepted task and complete each exactly once while the stream is purged, and while their NATS server is
// killed (SIGKILL) and restarted, once with its data and once without.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { LocalBus } from '../../src/bus/index.js';
import { ALL_TENANTS, isTerminal, newId, type TaskRecord } from '../../src/core/index.js';
import { SqliteStore, type SessionStore } from '../../src/store/index.js';
import { requireNats } from '../helpers/services.js';
import { natsBus } from './nats-helpers.js';

const NATS_SERVER = spawnSync('sh', ['-c', 'command -v nats-server']).stdout.toString().trim();

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

async function waitForPort(port: number, ms: number): Promise<void> {
  const until = Date.now() + ms;
  for (;;) {
    const ok = await new Promise<boolean>((r) => {
      const s = tcpConnect(port, '127.0.0.1', () => {
        s.destroy();
        r(true);
      }).on('error', () => r(false));
    });
    if (ok) return;
    if (Date.now() > until) throw new Error(`nats-server did not listen on ${port}`);
    await sleep(50);
  }
}

/** A nats-server of the test's own, on a free port, with JetStream storing in `dir`. */
class OwnNats {
  #child: ChildProcess | undefined;
  constructor(
    readonly port: number,
    readonly dir: string,
  ) {}
  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }
  async start(): Promise<void> {
    this.#child = spawn(NATS_SERVER, ['-a', '127.0.0.1', '-p', String(this.port), '-js', '-sd', this.dir], {
      stdio: 'ignore',
    });
    await waitForPort(this.port, 10_000);
  }
  async kill(): Promise<void> {
    const child = this.#child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }
}

interface Run {
  stream: string;
  a: LocalBus;
  b: LocalBus;
  accepted: TaskRecord[];
  completions: Map<string, number>;
  /** Publishes `n` tasks, one every `everyMs`, while `fault` runs after the first third. */
  load(n: number, everyMs: number, fault: () => Promise<void>): Promise<void>;
}

async function twoInstances(t: TestContext, url: string): Promise<Run> {
  const dir = mkdtempSync(join(tmpdir(), 'swiftlet-nats-faults-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'tasks.db');
  const open = async (): Promise<SessionStore> => {
    const store = new SqliteStore({ path });
    await store.init();
    return store;
  };
  const stream = `SWIFTLET_FAULTS_${newId('ses').slice(4).toUpperCase()}`;
  const options = { sweepMs: 100, republishMs: 300, leaseMs: 2000 };
  const a = await natsBus(t, await open(), url, stream, options);
  const b = await natsBus(t, await open(), url, stream, options);
  const completions = new Map<string, number>();
  const agent = 'worker';
  for (const bus of [a, b]) {
    // Slower than the publishers, so that offers wait in the stream when the fault strikes.
    bus.subscribe({ agent, scope: ALL_TENANTS, concurrency: 1 }, (x) => {
      setTimeout(
        () =>
          void x.complete({ message: 'ok' }).then(
            () => completions.set(x.task.id, (completions.get(x.task.id) ?? 0) + 1),
            () => undefined, // a claim lost meanwhile: the task is someone else's now
          ),
        5 + Math.random() * 10,
      );
    });
  }
  const accepted: TaskRecord[] = [];
  const tenant = 'acme';
  return {
    stream,
    a,
    b,
    accepted,
    completions,
    async load(n, everyMs, fault) {
      let faulted: Promise<void> | undefined;
      for (let i = 0; i < n; i++) {
        const bus = i % 2 ? a : b;
        const task = await bus.publish({
          tenant,
          target: { agent },
          input: { text: `task ${i}` },
          requester: { kind: 'key', id: 'k' },
        });
        accepted.push(task);
        if (i === Math.floor(n / 3)) faulted = fault();
        await sleep(everyMs);
      }
      await faulted;
    },
  };
}

async function allSettled(run: Run, ms: number): Promise<TaskRecord[]> {
  const until = Date.now() + ms;
  for (;;) {
    const now = await Promise.all(run.accepted.map((x) => run.a.tasks.get(x.tenant, x.id)));
    const open = now.filter((x) => !x || !isTerminal(x.state));
    if (open.length === 0) return now as TaskRecord[];
    if (Date.now() > until) throw new Error(`${open.length} of ${run.accepted.length} tasks never ended`);
    await sleep(100);
  }
}

async function checkExactlyOnce(run: Run): Promise<void> {
  const ended = await allSettled(run, 30_000);
  assert.deepEqual(
    ended.filter((x) => x.state !== 'completed').map((x) => `${x.id} ${x.state}`),
    [],
    'every accepted task completed',
  );
  for (const x of run.accepted) {
    const events = await run.a.tasks.events(x.tenant, x.id);
    const completed = events.filter((e) => e.type === 'state' && e.state === 'completed').length;
    assert.equal(completed, 1, `task ${x.id} completed ${completed} times`);
    assert.equal(
      run.completions.get(x.id),
      1,
      `task ${x.id}: its consumers were told of ${run.completions.get(x.id)} completions`,
    );
  }
}

test('a purged stream loses no task: the store offers them again', async (t) => {
  const url = await requireNats(t);
  if (!url) return;
  const run = await twoInstances(t, url);
  const { connect } = await import('@nats-io/transport-node');
  const { jetstreamManager } = await import('@nats-io/jetstream');
  const nc = await connect({ servers: url });
  t.after(() => nc.close());
  const jsm = await jetstreamManager(nc);
  let unfetched = 0;
  await run.load(300, 0, async () => {
    // Purge once offers wait in the stream that no instance has fetched yet, then again a while later.
    const stream = run.stream;
    for (let i = 0; i < 200 && unfetched < 50; i++) {
      unfetched = (await jsm.consumers.info(stream, 'agent_worker')).num_pending;
      if (unfetched < 50) await sleep(10);
    }
    await jsm.streams.purge(stream);
    await sleep(100);
    await jsm.streams.purge(stream);
  });
  assert.ok(unfetched >= 50, `offers waited unfetched in the stream when it was purged (${unfetched})`);
  await checkExactlyOnce(run);
  await jsm.streams.delete(run.stream).catch(() => undefined);
  t.diagnostic(`purged ${unfetched}+ unfetched offers; ${run.accepted.length} tasks each completed once`);
});

for (const keepData of [true, false]) {
  test(`a NATS server killed and restarted ${keepData ? 'with' : 'without'} its data loses no task`, async (t) => {
    if (!(await requireNats(t))) return;
    if (!NATS_SERVER) {
      if (process.env.SWIFTLET_REQUIRE_SERVICES === '1') assert.fail('nats-server is not installed');
      return t.skip('nats-server is not installed');
    }
    const dirs = [mkdtempSync(join(tmpdir(), 'swiftlet-nats-js-')), mkdtempSync(join(tmpdir(), 'swiftlet-nats-js-'))];
    t.after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
    const port = await freePort();
    let server = new OwnNats(port, dirs[0]!);
    await server.start();
    t.after(() => server.kill());
    const run = await twoInstances(t, server.url);
    let during = 0;
    await run.load(240, 0, async () => {
      await server.kill();
      const before = run.accepted.length;
      await sleep(500); // publishes go on meanwhile, into the store alone
      during = run.accepted.length - before;
      server = new OwnNats(port, keepData ? dirs[0]! : dirs[1]!);
      await server.start();
    });
    await checkExactlyOnce(run);
    assert.ok(during > 0, 'tasks were accepted while NATS was down');
    t.diagnostic(`${during} tasks accepted while NATS was down; ${run.accepted.length} tasks each completed once`);
  });
}
