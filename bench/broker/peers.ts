// Node job queues measured the way the `broker` scenario measures the task bus: graphile-worker on PostgreSQL and
// BullMQ on Redis, installed into bench/peers (its own npm package, `npm ci --prefix bench/peers`), each run of each
// queue in a child process of its own (bench/broker/peers-child.ts, from source through tsx). The same throughput
// window (at most BROKER_CONSTANTS.maxOutstanding added and not completed, a warm-up, then `tasks` measured), the same
// number of queues and handlers held at once, handlers that return at once, and the same open-loop latency
// measurement (add → handler started, add → completed, at `rate` per second after a warm-up second).
import { execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { spread, type Spread } from '../stats.js';
import { fmt, table, withRange } from '../table.js';
import { BROKER_CONSTANTS as K } from './types.js';

export type QueuePeerKey = 'graphile-worker' | 'bullmq';
export const QUEUE_PEERS: readonly QueuePeerKey[] = ['graphile-worker', 'bullmq'];

export interface QueuePeerOptions {
  /** Throughput: measured tasks per run, after a warm-up of min(2000, tasks / 10). */
  tasks: number;
  /** Queues (graphile-worker: task identifiers in one runner; BullMQ: a Queue and a Worker each). */
  subscribers: number;
  /** Jobs each queue's handlers hold at once. */
  concurrency: number;
  /** Latency: jobs added per second, for `durationSeconds` after a warm-up second. */
  rate: number;
  durationSeconds: number;
  /** Runs per queue, each in a fresh child process on fresh state. */
  runs: number;
  postgresUrl: string;
  redisUrl: string;
  /** The queues to measure (default: all). */
  peers?: readonly QueuePeerKey[];
  /** The npm package folder the libraries are loaded from (default: bench/peers of this checkout). */
  peersDir?: string;
  onProgress?: (line: string) => void;
}

export interface QueuePeerQuantiles {
  n: number;
  p50: number;
  p99: number;
  max: number;
}

export interface QueuePeerRun {
  run: number;
  /** Throughput: measured jobs completed ÷ the time from the first measured add to the last completion. */
  perSec: number;
  wallMs: number;
  /** Jobs added (the add resolved) and completed, and handlers started on a job already started, over both
   * measurements of the run, warm-ups included. */
  completed: number;
  accepted: number;
  duplicates: number;
  /** Latency, measured part only: the add call → the handler invoked with the job. */
  addToStartMs: QueuePeerQuantiles;
  /** Latency: the add call → the job completed (see `settings` for what completed means for each queue). */
  addToDoneMs: QueuePeerQuantiles;
  /** Latency: measured jobs ÷ the time between the first and the last measured add call. */
  achievedRate: number;
  /** Throughput: CPU of the child process (client library, producer, handlers) per measured job, microseconds. */
  cpuUsPerTask: number;
  /** Throughput: CPU of the PostgreSQL or Redis server per measured job, microseconds (NaN when not readable). */
  serverCpuUsPerTask?: number;
  /** What went wrong: errors counted, jobs not completed, jobs left in the queue, the child's own failure. */
  failed?: string;
}

export interface QueuePeerResult {
  peer: QueuePeerKey;
  /** Installed versions from bench/peers/node_modules. */
  version: string;
  /** The server measured on, as the child found it. */
  backend: string;
  /** The library settings used, for the benchmark notes. */
  settings: string;
  runs: QueuePeerRun[];
  /** Median and range over the runs that did not fail. */
  perSec: Spread | null;
  startP50: Spread | null;
  startP99: Spread | null;
  skipped?: string;
}

/** The child's instructions, as JSON in QUEUE_PEER_ENV. */
export interface QueuePeerChildSpec {
  peer: QueuePeerKey;
  run: number;
  tasks: number;
  warmupTasks: number;
  subscribers: number;
  concurrency: number;
  rate: number;
  durationSeconds: number;
  postgresUrl: string;
  redisUrl: string;
  /** bench/peers: the package folder the queue libraries are loaded from. */
  peersDir: string;
  /** A name no other run uses: the PostgreSQL schema or Redis key prefix is made from it. */
  namespace: string;
}

export type QueuePeerChildEvent =
  | { event: 'progress'; line: string }
  /** The library could not be loaded or its server did not answer. */
  | { event: 'skipped'; reason: string }
  | { event: 'result'; backend: string; run: QueuePeerRun };

export const QUEUE_PEER_ENV = 'SWIFTLET_BENCH_QUEUE_PEER';

/**
 * The packages each queue is loaded with: the library from bench/peers/node_modules, then what the library itself
 * resolves (graphile-worker's pg; ioredis, which BullMQ loads as an optional peer and bench/peers installs).
 */
export const QUEUE_PEER_PACKAGES: Record<QueuePeerKey, readonly [string, ...string[]]> = {
  'graphile-worker': ['graphile-worker', 'pg'],
  bullmq: ['bullmq', 'ioredis'],
};

/** `npm ci` in a peers folder whose node_modules is missing; the error, if any (then every peer is skipped with it). */
export async function ensurePeersInstalled(dir: string, progress: (line: string) => void): Promise<string | undefined> {
  if (existsSync(join(dir, 'node_modules', '.package-lock.json'))) return undefined;
  progress(`installing ${dir} dependencies (npm ci)…`);
  return new Promise((done) =>
    execFile('npm', ['ci', '--no-audit', '--no-fund'], { cwd: dir, maxBuffer: 16 << 20 }, (err, _out, stderr) =>
      done(
        err ? `npm ci in ${dir} failed: ${(stderr || err.message).trim().split('\n').slice(-5).join(' ')}` : undefined,
      ),
    ),
  );
}

/** A child that has not answered by then is killed and its run reported as failed. */
const CHILD_DEADLINE_MS = 10 * 60_000;

/** The repository checkout this module runs from (from source or from dist/), or undefined outside one. */
export function checkoutRoot(): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && existsSync(join(dir, 'bench', 'broker', 'peers-child.ts'))) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'swiftlet') return dir;
      } catch {
        // not ours; keep looking
      }
    }
    const up = dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}

/**
 * Where each package of `peer` is, as the child loads it: the library from `peersDir`, the others from the library's
 * own folder (so the child uses the copy the library uses).
 */
export function queuePeerModules(
  peersDir: string,
  peer: QueuePeerKey,
): { modules: Record<string, { dir: string; version: string }> } | { missing: string } {
  const [lib, ...deps] = QUEUE_PEER_PACKAGES[peer];
  const modules: Record<string, { dir: string; version: string }> = {};
  // By the folders require() would search, not require.resolve(): a package's `exports` may hide its package.json.
  const find = (from: string, pkg: string, dirs = createRequire(from).resolve.paths(pkg) ?? []): boolean => {
    for (const dir of dirs) {
      const file = join(dir, pkg, 'package.json');
      if (!existsSync(file)) continue;
      try {
        modules[pkg] = {
          dir: dirname(file),
          version: (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version,
        };
        return true;
      } catch {
        return false;
      }
    }
    return false;
  };
  if (!find(peersDir, lib, [join(peersDir, 'node_modules')])) return { missing: lib };
  const missing = deps.filter((d) => !find(join(modules[lib]!.dir, 'package.json'), d));
  return missing.length > 0 ? { missing: missing.join(', ') } : { modules };
}

export const warmupTasksFor = (tasks: number): number => Math.min(K.maxWarmupTasks, Math.ceil(tasks / 10));

/** What each queue is run with; the child does exactly this (bench/broker/peers-child.ts). */
export function queuePeerSettings(peer: QueuePeerKey, o: Pick<QueuePeerOptions, 'subscribers' | 'concurrency'>) {
  const jobs = o.subscribers * o.concurrency;
  const window =
    `at most ${K.maxOutstanding} added and not completed; throughput adds in one batch call per turn of the ` +
    'event loop, latency adds one job per call';
  if (peer === 'graphile-worker') {
    return (
      `one run() runner with a taskList of ${o.subscribers} task identifiers (no queueName, so jobs run in ` +
      `parallel), concurrentJobs ${jobs}, a pg.Pool of max ${jobs + 1} (the performance page's concurrentJobs + 1) ` +
      'shared with makeWorkerUtils, localQueue.size 500, completeJobBatchDelay 0, failJobBatchDelay 0 (the ' +
      "performance page's batching settings), pollInterval 2000 ms (the default; new jobs arrive through " +
      'LISTEN/NOTIFY), prepared statements on, NO_LOG_SUCCESS=1; added with workerUtils.addJobs (throughput) and ' +
      `workerUtils.addJob (latency), ${window}; started = the task function called; completed = its completion ` +
      'committed (the DELETE of its row, which the runner sends after the task returns, batched); a fresh schema ' +
      'per measurement, dropped after'
    );
  }
  return (
    `${o.subscribers} queues, each with a Queue and a Worker (concurrency ${o.concurrency}, other Worker options ` +
    'left at their defaults); the Queues share one ioredis connection, each Worker opens its own; jobs kept after ' +
    'completion (no removeOnComplete, as the bus keeps its task records); added with Queue.addBulk per queue ' +
    `(throughput) and Queue.add (latency), ${window}; started = the processor called; completed = the Worker's ` +
    "'completed' event (moveToCompleted returned); a fresh key prefix per measurement, its keys deleted after"
  );
}

function emptyQuantiles(): QueuePeerQuantiles {
  return { n: 0, p50: Number.NaN, p99: Number.NaN, max: Number.NaN };
}

function failedRun(run: number, why: string): QueuePeerRun {
  return {
    run,
    perSec: Number.NaN,
    wallMs: Number.NaN,
    completed: 0,
    accepted: 0,
    duplicates: 0,
    addToStartMs: emptyQuantiles(),
    addToDoneMs: emptyQuantiles(),
    achievedRate: Number.NaN,
    cpuUsPerTask: Number.NaN,
    failed: why,
  };
}

/** Starts one child, forwards its progress, resolves with its answer. */
function runChild(
  root: string,
  spec: QueuePeerChildSpec,
  onProgress: (line: string) => void,
): Promise<Exclude<QueuePeerChildEvent, { event: 'progress' }>> {
  let tsx: string;
  try {
    tsx = import.meta.resolve('tsx');
  } catch (err) {
    return Promise.reject(new Error(`tsx cannot be resolved (${(err as Error).message})`));
  }
  const child = spawn(process.execPath, ['--import', tsx, join(root, 'bench', 'broker', 'peers-child.ts')], {
    cwd: root,
    // graphile-worker formats a log line per completed job unless NO_LOG_SUCCESS is set (read at import).
    env: { ...process.env, [QUEUE_PEER_ENV]: JSON.stringify(spec), NO_LOG_SUCCESS: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const kill = (): void => void child.kill('SIGKILL');
  process.once('exit', kill);
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr = (stderr + s).slice(-4000)));
  let answer: Exclude<QueuePeerChildEvent, { event: 'progress' }> | undefined;
  createInterface({ input: child.stdout! }).on('line', (line) => {
    let e: QueuePeerChildEvent;
    try {
      e = JSON.parse(line) as QueuePeerChildEvent;
    } catch {
      return;
    }
    if (e.event === 'progress') onProgress(e.line);
    else answer = e;
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(kill, CHILD_DEADLINE_MS);
    const tail = (): string => (stderr.trim() ? `: ${stderr.trim().split('\n').slice(-3).join(' ')}` : '');
    child.once('error', (err) => {
      clearTimeout(timer);
      process.off('exit', kill);
      reject(new Error(`the ${spec.peer} process could not start (${err.message})`));
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      process.off('exit', kill);
      if (answer && code === 0) resolve(answer);
      else
        reject(new Error(`the ${spec.peer} process exited without an answer (${signal ?? `code ${code}`})${tail()}`));
    });
  });
}

const withoutPassword = (url: string): string => {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url;
  }
};

export async function measureQueuePeers(o: QueuePeerOptions): Promise<QueuePeerResult[]> {
  const progress = o.onProgress ?? (() => undefined);
  const root = checkoutRoot();
  const results: QueuePeerResult[] = [];
  for (const peer of o.peers ?? QUEUE_PEERS) {
    const result: QueuePeerResult = {
      peer,
      version: 'not installed',
      backend: peer === 'graphile-worker' ? withoutPassword(o.postgresUrl) : withoutPassword(o.redisUrl),
      settings: queuePeerSettings(peer, o),
      runs: [],
      perSec: null,
      startP50: null,
      startP99: null,
    };
    results.push(result);
    if (root === undefined) {
      result.skipped = 'needs a checkout of the repository (bench/broker/peers-child.ts and bench/peers)';
      continue;
    }
    const peersDir = o.peersDir ?? join(root, 'bench', 'peers');
    const found = queuePeerModules(peersDir, peer);
    if ('missing' in found) {
      result.skipped = `${join(peersDir, 'node_modules')} has no ${found.missing} (install with: npm ci --prefix bench/peers)`;
      continue;
    }
    result.version = Object.entries(found.modules)
      .map(([pkg, m]) => `${pkg} ${m.version}`)
      .join(', ');
    for (let run = 1; run <= o.runs; run++) {
      const spec: QueuePeerChildSpec = {
        peer,
        run,
        tasks: o.tasks,
        warmupTasks: warmupTasksFor(o.tasks),
        subscribers: o.subscribers,
        concurrency: o.concurrency,
        rate: o.rate,
        durationSeconds: o.durationSeconds,
        postgresUrl: o.postgresUrl,
        redisUrl: o.redisUrl,
        peersDir,
        namespace: `swiftlet_bench_${peer === 'bullmq' ? 'bq' : 'gw'}_${process.pid}_${Date.now().toString(36)}_${run}`,
      };
      progress(`${peer} run ${run}/${o.runs}: starting`);
      try {
        const answer = await runChild(root, spec, (line) => progress(`${peer} run ${run}/${o.runs}: ${line}`));
        if (answer.event === 'skipped') {
          if (result.runs.length === 0) {
            result.skipped = answer.reason;
            break;
          }
          result.runs.push(failedRun(run, answer.reason));
          continue;
        }
        result.backend = answer.backend;
        result.runs.push(answer.run);
      } catch (err) {
        result.runs.push(failedRun(run, err instanceof Error ? err.message : String(err)));
      }
    }
    const ok = result.runs.filter((r) => r.failed === undefined);
    if (ok.length > 0) {
      result.perSec = spread(ok.map((r) => r.perSec));
      result.startP50 = spread(ok.map((r) => r.addToStartMs.p50));
      result.startP99 = spread(ok.map((r) => r.addToStartMs.p99));
    }
  }
  return results;
}

/** A row per run, then per queue: the medians with their range, what it ran on and with which settings. */
export function renderQueuePeers(results: QueuePeerResult[]): string[] {
  const rows: string[][] = [
    [
      'queue',
      'run',
      'tasks/s',
      'cpu µs/task',
      'server µs/task',
      'achieved/s',
      'add→start p50',
      'p99',
      'max',
      'add→done p50',
      'p99',
      'max',
      'dup',
      'completed',
    ],
  ];
  const notes: string[] = [];
  for (const r of results) {
    if (r.skipped !== undefined) {
      notes.push(`${r.peer} skipped: ${r.skipped}`);
      continue;
    }
    for (const run of r.runs) {
      if (run.failed !== undefined) notes.push(`${r.peer} run ${run.run} failed: ${run.failed}`);
      if (!Number.isFinite(run.perSec) && run.addToStartMs.n === 0) continue;
      rows.push([
        r.peer,
        String(run.run),
        fmt(run.perSec, 0),
        fmt(run.cpuUsPerTask, 1),
        fmt(run.serverCpuUsPerTask, 1),
        fmt(run.achievedRate, 0),
        fmt(run.addToStartMs.p50, 2),
        fmt(run.addToStartMs.p99, 2),
        fmt(run.addToStartMs.max, 2),
        fmt(run.addToDoneMs.p50, 2),
        fmt(run.addToDoneMs.p99, 2),
        fmt(run.addToDoneMs.max, 2),
        String(run.duplicates),
        `${run.completed}/${run.accepted}`,
      ]);
    }
  }
  const lines = [...table(rows), ...notes];
  for (const r of results) {
    if (r.skipped !== undefined) continue;
    lines.push(
      `${r.peer} (${r.version}) on ${r.backend}: median (min–max) ${withRange(r.perSec, 0)} tasks/s, add→start ` +
        `p50 ${withRange(r.startP50, 2)} ms, p99 ${withRange(r.startP99, 2)} ms`,
      `  settings: ${r.settings}`,
    );
  }
  lines.push(
    'cpu µs/task: the child process (library, producer, handlers); server µs/task: the PostgreSQL processes of this ' +
      "machine (/proc) or Redis's own INFO cpu, over the measured throughput jobs",
  );
  return lines;
}
