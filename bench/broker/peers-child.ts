// One run of one job queue for bench/broker/peers.ts, started as `node --import tsx bench/broker/peers-child.ts`
// with QUEUE_PEER_ENV holding a JSON QueuePeerChildSpec. The queue library is loaded from bench/peers/node_modules.
// The run makes the throughput measurement, then the latency one, each on fresh state (a PostgreSQL schema or a
// Redis key prefix of its own, removed after). It prints JSON lines on stdout: progress, then one `result` (or
// `skipped` when the library cannot be loaded or its server does not answer).
import { EventEmitter, once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { cpuSeconds } from '../proc.js';
import {
  QUEUE_PEER_ENV,
  queuePeerModules,
  type QueuePeerChildEvent,
  type QueuePeerChildSpec,
  type QueuePeerQuantiles,
  type QueuePeerRun,
} from './peers.js';
import { cpuNow, openLoop as openLoopFrom, quantiles, until } from './load.js';
import { BROKER_CONSTANTS as K } from './types.js';

/** Calls `add(i)` for i in [0, total) at `rate` per second. */
const openLoop = (total: number, rate: number, add: (i: number) => void): Promise<void> =>
  openLoopFrom(0, total, rate, add);

type Progress = (line: string) => void;

/** What the harness below is told by a queue: a handler started on job i, job i completed, something failed. */
interface Hooks {
  started(i: number): void;
  done(i: number): void;
  error(err: unknown): void;
}

/** One measurement's queues: consumers running, a producer to add with. */
interface Queues {
  /** Adds jobs `ids` in as few calls as the library allows. */
  addMany(ids: number[]): Promise<void>;
  addOne(i: number): Promise<void>;
  /** What is left in the store that should not be ('' when all `accepted` jobs are recorded as completed). */
  leftover(accepted: number): Promise<string>;
  /** Stops the consumers and removes this measurement's state from the server. */
  close(): Promise<void>;
}

interface Backend {
  describe: string;
  /** CPU seconds the server has used so far (NaN when it cannot be read). */
  serverCpuSeconds(): Promise<number>;
  open(kind: 'throughput' | 'latency', hooks: Hooks): Promise<Queues>;
  close(): Promise<void>;
}

// -----------------------------------------------------------------------------------------------------------------
// The load, shared by both queues: the same window, warm-up and open loop as bench/broker/load.ts

interface Counts {
  accepted: number;
  completed: number;
  duplicates: number;
  errors: number;
  firstError?: string;
  stalled?: string;
  leftover?: string;
}

const newCounts = (): Counts => ({ accepted: 0, completed: 0, duplicates: 0, errors: 0 });

function failed(c: Counts, err: unknown): void {
  c.errors++;
  c.firstError ??= err instanceof Error ? err.message : String(err);
}

const names = (n: number): string[] => Array.from({ length: n }, (_, i) => `s${i}`);

/** Closing that takes longer than this is abandoned (the run is reported as it was measured). */
const CLOSE_MS = 20_000;

async function closeWithin(what: string, c: Counts, close: () => Promise<void>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      close(),
      new Promise<void>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what}: closing took over ${CLOSE_MS} ms`)), CLOSE_MS);
      }),
    ]);
  } catch (err) {
    failed(c, err);
  } finally {
    clearTimeout(timer);
  }
}

interface ThroughputOut {
  counts: Counts;
  perSec: number;
  wallMs: number;
  cpuUsPerTask: number;
  serverCpuUsPerTask: number;
}

/** As fast as the queue takes them, at most K.maxOutstanding added and not completed; completions per second. */
async function measureThroughput(b: Backend, s: QueuePeerChildSpec, report: Progress): Promise<ThroughputOut> {
  const total = s.warmupTasks + s.tasks;
  const c = newCounts();
  const started = new Uint8Array(total);
  const done = new Uint8Array(total);
  let published = 0;
  let ended = 0;
  let phaseEnd = 0;
  let lastDone = 0;
  let scheduled = false;
  // Completions make room in the window; the jobs that refill it are added in one call per turn of the event loop.
  // (Jobs complete only after `queues` below is set.)
  const pump = (): void => {
    scheduled = false;
    const room = Math.min(phaseEnd - published, K.maxOutstanding - (published - ended));
    if (room <= 0) return;
    const ids = Array.from({ length: room }, (_, k) => published + k);
    published += room;
    queues.addMany(ids).then(
      () => void (c.accepted += ids.length),
      (err: unknown) => {
        failed(c, err);
        ended += ids.length;
        schedule();
      },
    );
  };
  const schedule = (): void => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(pump);
  };
  const queues = await b.open('throughput', {
    started(i) {
      if (started[i] !== 0) c.duplicates++;
      started[i] = 1;
    },
    done(i) {
      if (done[i] !== 0) return failed(c, new Error(`job ${i} completed twice`));
      done[i] = 1;
      c.completed++;
      ended++;
      lastDone = performance.now();
      schedule();
    },
    error: (err) => failed(c, err),
  });
  const phase = (end: number, label: string): Promise<boolean> => {
    phaseEnd = end;
    pump();
    return until(
      () => ended >= end,
      () => ended,
      () => report(`throughput ${label} ${ended}/${total}`),
    );
  };
  let ok = await phase(s.warmupTasks, 'warm-up');
  const completedBefore = c.completed;
  const server0 = await b.serverCpuSeconds();
  const cpu0 = cpuNow();
  const t0 = performance.now();
  if (ok) ok = await phase(total, 'measured');
  const cpu = cpuNow() - cpu0;
  const server = (await b.serverCpuSeconds()) - server0;
  const measured = c.completed - completedBefore;
  const wallMs = lastDone - t0;
  if (!ok) c.stalled = `throughput stalled: ${ended}/${total} jobs ended`;
  else c.leftover = await queues.leftover(c.accepted);
  await closeWithin('throughput', c, () => queues.close());
  return {
    counts: c,
    perSec: (measured * 1000) / wallMs,
    wallMs,
    cpuUsPerTask: cpu / measured,
    serverCpuUsPerTask: (server * 1e6) / measured,
  };
}

interface LatencyOut {
  counts: Counts;
  achievedRate: number;
  addToStartMs: QueuePeerQuantiles;
  addToDoneMs: QueuePeerQuantiles;
}

/** At a fixed offered rate, one add call per job: add → handler started and add → completed, per job. */
async function measureLatency(b: Backend, s: QueuePeerChildSpec, report: Progress): Promise<LatencyOut> {
  const warm = Math.round(s.rate * K.warmupSeconds);
  const total = warm + Math.max(1, Math.round(s.rate * s.durationSeconds));
  const startAt = new Float64Array(total).fill(Number.NaN);
  const claimAt = new Float64Array(total).fill(Number.NaN);
  const doneAt = new Float64Array(total).fill(Number.NaN);
  const c = newCounts();
  let ended = 0;
  const q = await b.open('latency', {
    started(i) {
      if (!Number.isNaN(claimAt[i]!)) c.duplicates++;
      else claimAt[i] = performance.now();
    },
    done(i) {
      if (!Number.isNaN(doneAt[i]!)) return failed(c, new Error(`job ${i} completed twice`));
      doneAt[i] = performance.now();
      c.completed++;
      ended++;
    },
    error: (err) => failed(c, err),
  });
  const add = (i: number): void => {
    startAt[i] = performance.now();
    q.addOne(i).then(
      () => void c.accepted++,
      (err: unknown) => {
        failed(c, err);
        ended++;
      },
    );
  };
  const adding = openLoop(total, s.rate, add);
  const ok = await until(
    () => ended >= total,
    () => ended,
    () => report(`latency ${ended}/${total} at ${s.rate}/s`),
  );
  await adding;
  if (!ok) c.stalled = `latency stalled: ${ended}/${total} jobs ended`;
  else c.leftover = await q.leftover(c.accepted);
  await closeWithin('latency', c, () => q.close());
  const deltas = (end: Float64Array): Float64Array => {
    const out = new Float64Array(total - warm);
    for (let i = warm; i < total; i++) out[i - warm] = end[i]! - startAt[i]!;
    return out;
  };
  const first = startAt[warm]!;
  const last = startAt[total - 1]!;
  return {
    counts: c,
    achievedRate: total - warm > 1 ? ((total - warm - 1) * 1000) / (last - first) : Number.NaN,
    addToStartMs: quantiles(deltas(claimAt)),
    addToDoneMs: quantiles(deltas(doneAt)),
  };
}

// -----------------------------------------------------------------------------------------------------------------
// The libraries, typed as far as they are used here (their own types live in bench/peers, outside this project)

interface PgQueryResult {
  rows: Record<string, unknown>[];
}
interface PgClient {
  connect(): Promise<void>;
  query(text: string, values?: unknown[]): Promise<PgQueryResult>;
  end(): Promise<void>;
}
interface PgPoolClient {
  query: (...args: unknown[]) => unknown;
  on(event: 'error', listener: (err: Error) => void): void;
}
interface PgPool {
  on(event: 'connect', listener: (client: PgPoolClient) => void): void;
  on(event: 'error', listener: (err: Error) => void): void;
  query(text: string, values?: unknown[]): Promise<PgQueryResult>;
  end(): Promise<void>;
}
interface PgModule {
  Client: new (o: { connectionString: string; connectionTimeoutMillis: number }) => PgClient;
  Pool: new (o: { connectionString: string; max: number }) => PgPool;
}
interface GraphileJob {
  id: string;
}
type GraphileTask = (payload: unknown, helpers: { job: GraphileJob }) => void;
interface GraphileModule {
  run(o: Record<string, unknown>): Promise<{ stop(): Promise<void>; promise: Promise<void> }>;
  makeWorkerUtils(o: Record<string, unknown>): Promise<{
    addJob(identifier: string, payload: unknown): Promise<GraphileJob>;
    addJobs(specs: { identifier: string; payload: unknown }[]): Promise<readonly GraphileJob[]>;
    release(): Promise<void>;
  }>;
  Logger: new (factory: (scope: unknown) => (level: string, message: string) => void) => unknown;
}

interface BullJob {
  data: { i: number };
}
interface BullQueue {
  add(name: string, data: unknown): Promise<unknown>;
  addBulk(jobs: { name: string; data: unknown }[]): Promise<unknown[]>;
  getJobCounts(...types: string[]): Promise<Record<string, number>>;
  waitUntilReady(): Promise<unknown>;
  close(): Promise<void>;
  on(event: 'error', listener: (err: Error) => void): void;
}
interface BullWorker {
  on(event: 'completed', listener: (job: BullJob) => void): void;
  on(event: 'failed', listener: (job: BullJob | undefined, err: Error) => void): void;
  on(event: 'error', listener: (err: Error) => void): void;
  waitUntilReady(): Promise<unknown>;
  close(): Promise<void>;
}
interface BullModule {
  Queue: new (name: string, opts: Record<string, unknown>) => BullQueue;
  Worker: new (name: string, processor: (job: BullJob) => Promise<void>, opts: Record<string, unknown>) => BullWorker;
}
interface Redis {
  connect(): Promise<void>;
  ping(): Promise<string>;
  info(section: string): Promise<string>;
  config(op: 'GET', key: string): Promise<string[]>;
  scan(cursor: string, ...args: (string | number)[]): Promise<[string, string[]]>;
  unlink(...keys: string[]): Promise<number>;
  quit(): Promise<unknown>;
  disconnect(): void;
  on(event: 'error', listener: (err: Error) => void): void;
}
interface IoRedisModule {
  Redis: new (url: string, opts: Record<string, unknown>) => Redis;
}

const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));

const isLocal = (url: string): boolean => {
  try {
    return ['127.0.0.1', 'localhost', '[::1]', ''].includes(new URL(url).hostname);
  } catch {
    return false;
  }
};

/** CPU seconds of every process named postgres on this machine (the server's backends and its helpers). */
function postgresCpuSeconds(): number {
  let total = 0;
  let seen = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() !== 'postgres') continue;
    } catch {
      continue;
    }
    const s = cpuSeconds(Number(entry));
    if (Number.isFinite(s)) {
      total += s;
      seen++;
    }
  }
  return seen > 0 ? total : Number.NaN;
}

// -----------------------------------------------------------------------------------------------------------------
// graphile-worker on PostgreSQL

async function graphileWorker(s: QueuePeerChildSpec): Promise<Backend | string> {
  const found = queuePeerModules(s.peersDir, 'graphile-worker');
  if ('missing' in found) return `bench/peers/node_modules has no ${found.missing}`;
  const entry = createRequire(join(s.peersDir, 'package.json')).resolve('graphile-worker');
  const gw = (await import(pathToFileURL(entry).href)) as GraphileModule;
  const pg = createRequire(join(found.modules['graphile-worker']!.dir, 'package.json'))('pg') as PgModule;

  const probe = new pg.Client({ connectionString: s.postgresUrl, connectionTimeoutMillis: 3000 });
  let describe: string;
  try {
    await probe.connect();
    const setting = async (name: string): Promise<string> =>
      String((await probe.query(`select current_setting($1) as v`, [name])).rows[0]?.v);
    const where = new URL(s.postgresUrl);
    describe =
      `PostgreSQL ${await setting('server_version')} at ${where.host}${where.pathname} (synchronous_commit ` +
      `${await setting('synchronous_commit')}, fsync ${await setting('fsync')})`;
  } catch (err) {
    return `PostgreSQL at ${s.postgresUrl} is unreachable (${message(err)})`;
  } finally {
    await probe.end().catch(() => undefined);
  }

  const identifiers = names(s.subscribers);
  const jobs = s.subscribers * s.concurrency;
  // Warnings and errors only; NO_LOG_SUCCESS=1 (set by the parent) keeps the runner from formatting a line per job.
  const logger = new gw.Logger(() => (level, text) => {
    if (level === 'error' || level === 'warning') process.stderr.write(`graphile-worker ${level}: ${text}\n`);
  });
  return {
    describe,
    serverCpuSeconds: async () => (isLocal(s.postgresUrl) ? postgresCpuSeconds() : Number.NaN),
    async open(kind, hooks) {
      const schema = `${s.namespace}_${kind}`;
      const pool = new pg.Pool({ connectionString: s.postgresUrl, max: jobs + 1 });
      // Job id → index, set when the task runs, taken when the runner's completion of the job has committed.
      const indexOf = new Map<string, number>();
      const committed = (values: unknown): void => {
        const ids = Array.isArray(values) ? (values[0] as unknown) : undefined;
        for (const id of Array.isArray(ids) ? ids : [ids]) {
          const i = indexOf.get(String(id));
          if (i === undefined) continue;
          indexOf.delete(String(id));
          hooks.done(i);
        }
      };
      pool.on('error', (err) => hooks.error(err));
      pool.on('connect', (client) => {
        client.on('error', (err) => hooks.error(err));
        const query = client.query.bind(client);
        // The runner completes jobs with the prepared statements complete_job/<schema>, complete_jobs/<schema> and
        // complete_job_q/<schema> (sql/completeJobs.js); their promise resolving is the completion committed.
        client.query = (...args: unknown[]): unknown => {
          const result = query(...args);
          const config = args[0] as { name?: unknown; values?: unknown } | undefined;
          if (
            typeof config === 'object' &&
            config !== null &&
            typeof config.name === 'string' &&
            /^complete_job(s|_q)?\//.test(config.name) &&
            result instanceof Promise
          ) {
            result.then(
              () => committed(config.values),
              () => undefined,
            );
          }
          return result;
        };
      });
      const task: GraphileTask = (payload, helpers) => {
        const i = (payload as { i: number }).i;
        indexOf.set(helpers.job.id, i);
        hooks.started(i);
      };
      const events = new EventEmitter();
      const listening = once(events, 'pool:listen:success');
      const runner = await gw.run({
        pgPool: pool,
        taskList: Object.fromEntries(identifiers.map((id) => [id, task])),
        parsedCronItems: [],
        noHandleSignals: true,
        preset: {
          worker: {
            schema,
            concurrentJobs: jobs,
            maxPoolSize: jobs + 1,
            pollInterval: 2000,
            preparedStatements: true,
            localQueue: { size: 500 },
            completeJobBatchDelay: 0,
            failJobBatchDelay: 0,
            events,
            logger,
          },
        },
      });
      runner.promise.catch((err: unknown) => hooks.error(err));
      await Promise.race([
        listening,
        new Promise((_, reject) =>
          setTimeout(() => reject(new Error('the runner did not LISTEN within 10 s')), 10_000),
        ),
      ]);
      const utils = await gw.makeWorkerUtils({ pgPool: pool, schema, logger });
      return {
        async addMany(ids) {
          await utils.addJobs(ids.map((i) => ({ identifier: identifiers[i % identifiers.length]!, payload: { i } })));
        },
        async addOne(i) {
          await utils.addJob(identifiers[i % identifiers.length]!, { i });
        },
        async leftover() {
          // A completed job's row is deleted: every row left is a job not completed (waiting, locked or failed).
          const { rows } = await pool.query(`select count(*)::int as n from ${schema}._private_jobs`);
          const n = Number(rows[0]?.n);
          return n === 0 ? '' : `${n} jobs left in ${schema}._private_jobs`;
        },
        async close() {
          try {
            await runner.stop();
            await utils.release();
          } finally {
            await pool.query(`drop schema if exists ${schema} cascade`).catch((err: unknown) => hooks.error(err));
            await pool.end();
          }
        },
      };
    },
    close: async () => undefined,
  };
}

// -----------------------------------------------------------------------------------------------------------------
// BullMQ on Redis

async function bullmq(s: QueuePeerChildSpec): Promise<Backend | string> {
  const found = queuePeerModules(s.peersDir, 'bullmq');
  if ('missing' in found) return `bench/peers/node_modules has no ${found.missing}`;
  const bull = createRequire(join(s.peersDir, 'package.json'))('bullmq') as BullModule;
  const { Redis } = createRequire(join(found.modules.bullmq!.dir, 'package.json'))('ioredis') as IoRedisModule;

  // The harness's own connection: probe, server figures, key removal.
  const admin = new Redis(s.redisUrl, {
    lazyConnect: true,
    connectTimeout: 3000,
    maxRetriesPerRequest: 1,
    retryStrategy: () => null,
  });
  admin.on('error', () => undefined);
  let describe: string;
  try {
    await admin.connect();
    await admin.ping();
    const version = /^redis_version:(.*)$/m.exec(await admin.info('server'))?.[1]?.trim() ?? '?';
    const config = async (key: string): Promise<string> => {
      try {
        return JSON.stringify((await admin.config('GET', key))[1] ?? '?');
      } catch {
        return '?';
      }
    };
    const where = new URL(s.redisUrl);
    describe = `Redis ${version} at ${where.host} (appendonly ${await config('appendonly')}, save ${await config('save')})`;
  } catch (err) {
    admin.disconnect();
    return `Redis at ${s.redisUrl} is unreachable (${message(err)})`;
  }

  const queueNames = names(s.subscribers);
  return {
    describe,
    async serverCpuSeconds() {
      const info = await admin.info('cpu');
      const field = (name: string): number => Number(new RegExp(`^${name}:(.*)$`, 'm').exec(info)?.[1]);
      return field('used_cpu_sys') + field('used_cpu_user');
    },
    async open(kind, hooks) {
      const prefix = `${s.namespace}_${kind}`;
      const producer = new Redis(s.redisUrl, { maxRetriesPerRequest: null });
      producer.on('error', (err) => hooks.error(err));
      const queues = queueNames.map((name) => new bull.Queue(name, { connection: producer, prefix }));
      for (const q of queues) q.on('error', (err) => hooks.error(err));
      const workers = queueNames.map((name) => {
        const w = new bull.Worker(
          name,
          async (job) => {
            hooks.started(job.data.i);
          },
          { connection: { url: s.redisUrl, maxRetriesPerRequest: null }, prefix, concurrency: s.concurrency },
        );
        w.on('completed', (job) => hooks.done(job.data.i));
        w.on('failed', (_job, err) => hooks.error(err));
        w.on('error', (err) => hooks.error(err));
        return w;
      });
      await Promise.all([...queues, ...workers].map((x) => x.waitUntilReady()));
      return {
        async addMany(ids) {
          const per: number[][] = queues.map(() => []);
          for (const i of ids) per[i % queues.length]!.push(i);
          await Promise.all(
            per.map((list, k) =>
              list.length === 0 ? undefined : queues[k]!.addBulk(list.map((i) => ({ name: 'bench', data: { i } }))),
            ),
          );
        },
        async addOne(i) {
          await queues[i % queues.length]!.add('bench', { i });
        },
        async leftover(accepted) {
          const totals: Record<string, number> = {};
          for (const q of queues) {
            const counts = await q.getJobCounts(
              'wait',
              'active',
              'delayed',
              'prioritized',
              'waiting-children',
              'paused',
              'failed',
              'completed',
            );
            for (const [k, v] of Object.entries(counts)) totals[k] = (totals[k] ?? 0) + v;
          }
          const off = Object.entries(totals).filter(([k, v]) => (k === 'completed' ? v !== accepted : v !== 0));
          return off.length === 0 ? '' : `jobs in the queues: ${off.map(([k, v]) => `${k} ${v}`).join(', ')}`;
        },
        async close() {
          try {
            await Promise.all(workers.map((w) => w.close()));
            await Promise.all(queues.map((q) => q.close()));
            await producer.quit();
          } finally {
            let cursor = '0';
            do {
              const [next, keys] = await admin.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
              if (keys.length > 0) await admin.unlink(...keys);
              cursor = next;
            } while (cursor !== '0');
          }
        },
      };
    },
    async close() {
      await admin.quit();
    },
  };
}

// -----------------------------------------------------------------------------------------------------------------

function problems(...all: Counts[]): string | undefined {
  const out: string[] = [];
  for (const c of all) {
    if (c.stalled) out.push(c.stalled);
    if (c.errors > 0) out.push(`${c.errors} error(s), the first: ${c.firstError}`);
    if (c.completed !== c.accepted) out.push(`${c.completed} of ${c.accepted} added jobs completed`);
    if (c.leftover) out.push(c.leftover);
  }
  return out.length > 0 ? out.join('; ') : undefined;
}

async function main(): Promise<void> {
  const spec = JSON.parse(process.env[QUEUE_PEER_ENV] ?? '') as QueuePeerChildSpec;
  const emit = (e: QueuePeerChildEvent): void => void process.stdout.write(JSON.stringify(e) + '\n');
  let last = 0;
  const progress: Progress = (line) => {
    const now = performance.now();
    if (now - last < 200) return;
    last = now;
    emit({ event: 'progress', line });
  };
  const backend = spec.peer === 'graphile-worker' ? await graphileWorker(spec) : await bullmq(spec);
  if (typeof backend === 'string') {
    emit({ event: 'skipped', reason: backend });
    return;
  }
  try {
    const t = await measureThroughput(backend, spec, progress);
    const l = await measureLatency(backend, spec, progress);
    const why = problems(t.counts, l.counts);
    const run: QueuePeerRun = {
      run: spec.run,
      perSec: t.perSec,
      wallMs: t.wallMs,
      completed: t.counts.completed + l.counts.completed,
      accepted: t.counts.accepted + l.counts.accepted,
      duplicates: t.counts.duplicates + l.counts.duplicates,
      addToStartMs: l.addToStartMs,
      addToDoneMs: l.addToDoneMs,
      achievedRate: l.achievedRate,
      cpuUsPerTask: t.cpuUsPerTask,
      serverCpuUsPerTask: t.serverCpuUsPerTask,
      ...(why === undefined ? {} : { failed: why }),
    };
    emit({ event: 'result', backend: backend.describe, run });
  } finally {
    await backend.close();
  }
}

main().then(
  // The libraries may hold timers or sockets a little longer; the answer is out.
  () => setTimeout(() => process.exit(0), 3000).unref(),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
