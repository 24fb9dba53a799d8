// The helper process of the `broker` scenario, started with BROKER_CHILD_ENV holding a JSON `BrokerChildSpec`:
//   bus    a LocalBus with its publisher and subscribers in this process (the local bus is in-process by design),
//          one fresh store per measurement (a SQLite file, or a PostgreSQL schema), each closed after it
//   floor  the floor's prepared statements on a fresh SQLite file
// It prints JSON lines on stdout: progress events, then one `result` (or `floor`, or `skipped`). The harness, in the
// parent, reads the stores afterwards to check that every task completed exactly once.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { LocalBus } from '../../src/bus/index.js';
import { NatsTransport } from '../../src/bus/nats/index.js';
import type { SessionStore, TaskStore } from '../../src/store/index.js';
import { runFloor } from './floor.js';
import { grpcConsumers, runGrpcConsumer, type WriteObserver } from './grpc.js';
import { runJetStream } from './jetstream.js';
import {
  measureBroadcast,
  measureBroadcastLatency,
  measureLatency,
  measureSlow,
  measureThroughput,
  quantiles,
  type Consumers,
  type Instruments,
  type Measured,
  type Progress,
} from './load.js';
import { openRef } from './verify.js';
import {
  BROKER_CONSTANTS as K,
  type BrokerChildSpec,
  type BusFigures,
  type ChildEvent,
  type LoadParams,
  type MeasurementKind,
  type MeasurementOutput,
  type StoreRef,
  type StoreSpec,
} from './types.js';

const MEASURE: Record<
  MeasurementKind,
  (
    bus: LocalBus,
    p: LoadParams,
    report: Progress,
    inst: Instruments,
    consumers?: Consumers,
  ) => Promise<Measured<BusFigures>>
> = {
  throughput: measureThroughput,
  latency: measureLatency,
  broadcast: measureBroadcast,
  broadcastLatency: measureBroadcastLatency,
  slow: measureSlow,
};

/** How long closing may take after the last line before the process exits anyway. */
const EXIT_GRACE_MS = 3000;

export async function runBrokerChild(envValue: string, stdout: NodeJS.WritableStream): Promise<void> {
  const spec = JSON.parse(envValue) as BrokerChildSpec;
  const emit = (e: ChildEvent): void => void stdout.write(JSON.stringify(e) + '\n');
  let last = 0;
  const progress: Progress = (line) => {
    const now = performance.now();
    if (now - last < 200) return;
    last = now;
    emit({ event: 'progress', line });
  };
  if (spec.role === 'floor') {
    const { figures } = await runFloor(spec.path, spec.idsFile, spec.load, progress);
    emit({ event: 'floor', figures, store: { kind: 'sqlite', path: spec.path }, idsFile: spec.idsFile });
  } else if (spec.role === 'grpcConsumer') {
    await runGrpcConsumer(spec.address, spec.key, spec.agents, spec.concurrency);
    process.exit(0);
  } else if (spec.role === 'jetstream') {
    emit({ event: 'jetstream', figures: await runJetStream(spec.url, spec.stream, spec.load, progress) });
  } else {
    const measurements: MeasurementOutput[] = [];
    for (const kind of spec.measurements) {
      const opened = await freshStore(spec.store, kind);
      if (typeof opened === 'string') {
        emit({ event: 'skipped', reason: opened });
        return;
      }
      const { store, tasks, ref } = opened;
      try {
        const timed = instrument(tasks);
        const s = spec.store;
        const stream = s.kind === 'nats' ? `${s.streamPrefix}_${kind.toUpperCase()}` : '';
        const transport =
          s.kind === 'nats'
            ? await NatsTransport.connect({
                url: s.url,
                stream,
                instanceId: store.instanceId,
                tasks: timed.tasks,
                onError: () => undefined,
              })
            : undefined;
        const bus = new LocalBus({
          store: timed.tasks,
          instanceId: store.instanceId,
          maxQueued: kind === 'slow' ? K.slowQueueLimit : K.maxQueued,
          ...(transport ? { transport } : {}),
        });
        await bus.start();
        let measured: Measured<BusFigures>;
        try {
          const report: Progress = (line) => progress(`${spec.store.kind} ${line}`);
          const consumers = s.kind === 'grpc' ? grpcConsumers(bus, spec.load, (o) => (timed.observer = o)) : undefined;
          measured = await MEASURE[kind](bus, spec.load, report, timed.instruments, consumers);
        } finally {
          await bus.close();
          if (s.kind === 'nats') await deleteStream(s.url, stream);
        }
        const idsFile = join(spec.idsDir, `${spec.store.kind}-${kind}.ids`);
        writeFileSync(idsFile, measured.ids.join('\n'));
        const childrenPer = kind === 'broadcast' || kind === 'broadcastLatency' ? K.broadcastK : 0;
        measurements.push({ figures: measured.figures, store: ref, idsFile, childrenPer });
      } finally {
        await store.close();
      }
    }
    emit({ event: 'result', measurements });
  }
  setTimeout(() => process.exit(0), EXIT_GRACE_MS).unref();
}

/**
 * The store's task records with each write (one bus transaction) timed, and the event loop's delay, while started.
 * The wrapper adds one performance.now() pair per transaction, not per task.
 */
function instrument(inner: TaskStore): {
  tasks: TaskStore;
  instruments: Instruments;
  observer: WriteObserver | undefined;
} {
  let txMs: number[] = [];
  let on = false;
  const loop = monitorEventLoopDelay({ resolution: 1 });
  const out = { observer: undefined as WriteObserver | undefined };
  const tasks: TaskStore = {
    async write(writes) {
      // Timed only when it starts and ends inside the measured part.
      const timed = on;
      const t0 = performance.now();
      const results = await inner.write(writes);
      if (timed && on) txMs.push(performance.now() - t0);
      out.observer?.(writes, results);
      return results;
    },
    get: (tenant, id) => inner.get(tenant, id),
    events: (tenant, id, afterSeq, limit) => inner.events(tenant, id, afterSeq, limit),
    list: (scope, filter) => inner.list(scope, filter),
    children: (tenant, parentId) => inner.children(tenant, parentId),
    active: (afterId, limit) => inner.active(afterId, limit),
  };
  return Object.assign(out, {
    tasks,
    instruments: {
      start() {
        txMs = [];
        on = true;
        loop.reset();
        loop.enable();
      },
      stop() {
        on = false;
        loop.disable();
        const ns = (q: number): number => (loop.count === 0 ? Number.NaN : loop.percentile(q) / 1e6);
        return {
          transactions: txMs.length,
          txMs: quantiles(txMs),
          loopDelayMs: { n: loop.count, p50: ns(50), p99: ns(99), max: loop.count === 0 ? Number.NaN : loop.max / 1e6 },
        };
      },
    },
  });
}

/** A fresh store for one measurement, or why this store cannot hold tasks. */
async function freshStore(
  s: StoreSpec,
  kind: MeasurementKind,
): Promise<{ store: SessionStore; tasks: TaskStore; ref: StoreRef } | string> {
  const ref: StoreRef =
    s.kind === 'postgres'
      ? { kind: 'postgres', url: s.url, schema: `${s.schemaPrefix}_${kind.toLowerCase()}` }
      : { kind: 'sqlite', path: join(s.dir, `${s.kind === 'sqlite' ? '' : `${s.kind}-`}${kind}.db`) };
  // SQLite as the server opens it by default: WAL, synchronous NORMAL (durable across a process crash).
  const store = await openRef(ref);
  let tasks: TaskStore | undefined;
  try {
    tasks = store.tasks as TaskStore | undefined;
  } catch (err) {
    await store.close();
    return `the ${store.kind} store has no task records here (${(err as Error).message})`;
  }
  if (tasks === undefined) {
    await store.close();
    return `the ${store.kind} store of this build has no task records (store.tasks)`;
  }
  return { store, tasks, ref };
}

async function deleteStream(url: string, stream: string): Promise<void> {
  const { connect } = await import('@nats-io/transport-node');
  const { jetstreamManager } = await import('@nats-io/jetstream');
  const nc = await connect({ servers: url });
  try {
    await (await jetstreamManager(nc)).streams.delete(stream).catch(() => undefined);
  } finally {
    await nc.close();
  }
}
