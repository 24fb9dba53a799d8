// Scenario `broker`: tasks delivered and completed per second through the local task bus, and publish → claim and
// publish → completion latency, with consumers that complete at once; broadcasts to k subscribers; one slow consumer
// behind a small queue limit; on durable SQLite and on PostgreSQL; against a floor of the same life cycle as bare
// prepared statements. The bus, its publisher and its subscribers run in a child process per store and run; this
// process starts them, then reads every measurement's store back to check that each task completed exactly once.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BenchOutcome, BrokerOptions } from '../../src/cli/commands/bench.js';
import { currentCli, type CliSpec } from '../child.js';
import { finishMachine, machineAtStart, type Machine } from '../proc.js';
import { spread, type Spread } from '../stats.js';
import { checkoutRoot, ensurePeersInstalled, measureQueuePeers, type QueuePeerResult } from './peers.js';
import { runHelper } from './procs.js';
import { renderBroker } from './report.js';
import {
  BROKER_CONSTANTS,
  BUS_MEASUREMENTS,
  GRPC_MEASUREMENTS,
  NATS_MEASUREMENTS,
  type BroadcastFigures,
  type BroadcastLatencyFigures,
  type BusFigures,
  type Counts,
  type FloorFigures,
  type JetStreamFigures,
  type LatencyFigures,
  type LoadParams,
  type MeasurementKind,
  type SlowFigures,
  type StoreSpec,
  type ThroughputFigures,
} from './types.js';
import { verifyStore, type Verification } from './verify.js';

export const BROKER_BARS = {
  /** In process on durable SQLite, tasks/s ÷ the floor's, at least. */
  toFloor: 0.5,
  /** publish → claim at the offered rate on SQLite, ms, at most. */
  claimP50Ms: 1,
  claimP99Ms: 5,
  /** publish → claim p99 at the offered rate on PostgreSQL, ms, at most. */
  postgresClaimP99Ms: 10,
  /** Through NATS, tasks/s ÷ raw JetStream's in the same run, at least. */
  natsToRaw: 0.7,
  /** Consumers over gRPC on loopback: tasks/s at least, and publish → completion p99 at the offered rate, ms. */
  grpcPerSec: 10_000,
  grpcCompleteP99Ms: 10,
} as const;

export interface BrokerBenchOptions extends BrokerOptions {
  cli?: CliSpec;
  onProgress?: (line: string) => void;
}

/** Counted in the bus's process, against what the publisher was told was recorded. */
export interface Counted {
  lost: number;
  duplicated: number;
  errors: number;
}

export type Checked<F> = F & { counted: Counted; verified: Verification };

export interface StoreRun {
  throughput?: Checked<ThroughputFigures>;
  latency?: Checked<LatencyFigures>;
  broadcast?: Checked<BroadcastFigures>;
  broadcastLatency?: Checked<BroadcastLatencyFigures>;
  slow?: Checked<SlowFigures>;
  /** The helper failed: what it said. */
  failed?: string;
}

export type Step = 'floor' | 'sqlite' | 'grpc' | 'postgres' | 'nats' | 'jetstream';

export interface BrokerRun {
  run: number;
  /** The order the steps ran in (the floor and the SQLite bus alternating between runs, as the NATS bus and raw JetStream). */
  order: Step[];
  floor?: FloorFigures & { verified: Verification; failed?: string };
  sqlite?: StoreRun;
  postgres?: StoreRun;
  /** Consumers over gRPC on loopback, the records on SQLite. */
  grpc?: StoreRun;
  /** The bus on NATS JetStream, its records on SQLite. */
  nats?: StoreRun;
  /** Raw JetStream in the throughput measurement's window. */
  jetstream?: JetStreamFigures & { failed?: string };
  /** NATS bus throughput ÷ raw JetStream's, this run. */
  natsToRaw: number | null;
  /** SQLite bus throughput ÷ floor, this run. */
  toFloor: number | null;
  /**
   * Floor CPU per task ÷ the bus's (its whole process: bus, store, publisher, handlers), this run: the same ratio in
   * CPU time, which moves less than wall time when other processes share the cores.
   */
  cpuToFloor: number | null;
}

export interface Bar {
  label: string;
  bar: string;
  /** Median over runs (min–max); null when not measured. */
  value: Spread | null;
  unit: string;
  met: boolean | null;
  /** Runs in which it was met, of those measured. */
  metRuns: number;
  runs: number;
  note?: string;
}

export interface BrokerBenchResult {
  /** `--peers`: graphile-worker and BullMQ measured the same way, after the bus; null when not asked for. */
  peers: QueuePeerResult[] | null;
  scenario: 'broker';
  version: 1;
  startedAt: string;
  durationMs: number;
  machine: Machine;
  params: Omit<BrokerOptions, 'postgresUrl' | 'natsUrl' | 'redisUrl' | 'cpuProfDir'> &
    typeof BROKER_CONSTANTS & {
      /** Where the bus ran: a child process per store and run, its publisher and subscribers with it. */
      process: 'child';
      /** PostgreSQL URL without its password; null when PostgreSQL was not asked for. */
      postgresUrl: string | null;
      /** NATS URL; null when NATS was not asked for. */
      natsUrl: string | null;
      warmupTasks: number;
    };
  /** Why PostgreSQL was not measured; null when it was (or was not asked for). */
  postgresSkipped: string | null;
  /** Why NATS was not measured; null when it was (or was not asked for). */
  natsSkipped: string | null;
  runs: BrokerRun[];
  summary: {
    sqlite: StoreSummary | null;
    postgres: StoreSummary | null;
    grpc: StoreSummary | null;
    nats: StoreSummary | null;
    jetstreamPerSec: Spread | null;
    natsToRaw: Spread | null;
    floorPerSec: Spread | null;
    toFloor: Spread | null;
    cpuToFloor: Spread | null;
  };
  correctness: { measurements: number; lost: number; duplicated: number; errors: number; ok: boolean };
  bars: Bar[];
}

export interface StoreSummary {
  perSec: Spread;
  claimP50: Spread;
  claimP99: Spread;
  completeP50: Spread;
  completeP99: Spread;
  broadcastChildPerSec: Spread;
  broadcastParentPerSec: Spread;
  slowRefused: Spread;
  slowMaxWaiting: Spread;
  slowWaitP99: Spread;
  fastClaimP99: Spread;
}

export async function runBrokerBench(o: BrokerBenchOptions): Promise<BenchOutcome> {
  const result = await measureBroker(o);
  const failed = result.runs.some(
    (r) =>
      r.floor?.failed ||
      r.sqlite?.failed ||
      r.grpc?.failed ||
      r.postgres?.failed ||
      r.nats?.failed ||
      r.jetstream?.failed,
  );
  return { json: result, table: renderBroker(result), complete: result.correctness.ok && !failed };
}

export async function measureBroker(o: BrokerBenchOptions): Promise<BrokerBenchResult> {
  const startedAt = new Date();
  const machine = machineAtStart();
  const cli = o.cli ?? currentCli();
  const dir = mkdtempSync(join(tmpdir(), 'swiftlet-bench-broker-'));
  const progress = o.onProgress ?? (() => undefined);
  const load: LoadParams = {
    subscribers: o.subscribers,
    concurrency: o.concurrency,
    tasks: o.tasks,
    warmupTasks: Math.min(BROKER_CONSTANTS.maxWarmupTasks, Math.ceil(o.tasks / 10)),
    rate: o.rate,
    durationSeconds: o.durationSeconds,
  };
  const nodeFlags = o.cpuProfDir === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', o.cpuProfDir];
  const wantSqlite = ['all', 'both', 'sqlite'].includes(o.store);
  const wantPostgres = ['all', 'both', 'postgres'].includes(o.store);
  const wantNats = ['all', 'nats'].includes(o.store);
  const wantGrpc = ['all', 'grpc'].includes(o.store);
  let postgresSkipped: string | null = null;
  let usePostgres = false;
  if (wantPostgres) {
    postgresSkipped = await probePostgres(o.postgresUrl);
    usePostgres = postgresSkipped === null;
  }
  let natsSkipped: string | null = null;
  let useNats = false;
  if (wantNats) {
    natsSkipped = await probeNats(o.natsUrl);
    useNats = natsSkipped === null;
  }
  const runs: BrokerRun[] = [];
  try {
    for (let r = 1; r <= o.runs; r++) {
      const runDir = join(dir, `run-${r}`);
      mkdirSync(runDir, { recursive: true });
      const run: BrokerRun = { run: r, order: [], toFloor: null, cpuToFloor: null, natsToRaw: null };
      const say = (line: string): void => progress(`broker: run ${r}/${o.runs} ${line}`);
      const steps: ('floor' | 'sqlite')[] = wantSqlite ? (r % 2 === 1 ? ['floor', 'sqlite'] : ['sqlite', 'floor']) : [];
      for (const step of steps) {
        run.order.push(step);
        if (step === 'floor') run.floor = await floorRun(cli, runDir, load, nodeFlags, say);
        else {
          const sqlite = await busRun(cli, { kind: 'sqlite', dir: runDir }, runDir, load, nodeFlags, say);
          run.sqlite = typeof sqlite === 'string' ? { failed: sqlite } : sqlite;
        }
      }
      if (wantGrpc) {
        run.order.push('grpc');
        const grpc = await busRun(cli, { kind: 'grpc', dir: runDir }, runDir, load, nodeFlags, say);
        run.grpc = typeof grpc === 'string' ? { failed: grpc } : grpc;
      }
      if (usePostgres) {
        run.order.push('postgres');
        const prefix = `swiftlet_bench_${process.pid}_${randomBytes(4).toString('hex')}_r${r}`;
        const spec = { kind: 'postgres' as const, url: o.postgresUrl, schemaPrefix: prefix };
        try {
          const pg = await busRun(cli, spec, runDir, load, nodeFlags, say);
          if (typeof pg === 'string') {
            postgresSkipped = pg;
            usePostgres = false;
          } else run.postgres = pg;
        } finally {
          await dropSchemas(o.postgresUrl, prefix).catch(() => undefined);
        }
      }
      if (useNats) {
        const streamPrefix = `SWIFTLET_BENCH_${process.pid}_${randomBytes(4).toString('hex')}_R${r}`.toUpperCase();
        for (const step of r % 2 === 1 ? (['nats', 'jetstream'] as const) : (['jetstream', 'nats'] as const)) {
          run.order.push(step);
          if (step === 'jetstream')
            run.jetstream = await jetstreamRun(cli, o.natsUrl, `${streamPrefix}_RAW`, load, say);
          else {
            const spec = { kind: 'nats' as const, dir: runDir, url: o.natsUrl, streamPrefix };
            const nats = await busRun(cli, spec, runDir, load, nodeFlags, say);
            run.nats = typeof nats === 'string' ? { failed: nats } : nats;
          }
        }
        const viaNats = run.nats?.throughput;
        if (viaNats && run.jetstream && !run.jetstream.failed) run.natsToRaw = viaNats.perSec / run.jetstream.perSec;
      }
      const bus = run.sqlite?.throughput;
      if (bus && run.floor && !run.floor.failed) {
        run.toFloor = bus.perSec / run.floor.perSec;
        run.cpuToFloor = run.floor.cpuUsPerTask / bus.cpuUsPerTask;
      }
      runs.push(run);
      // Its stores are read back: a run's files go before the next run's are written.
      rmSync(runDir, { recursive: true, force: true });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const { cpuProfDir: _c, postgresUrl, natsUrl, redisUrl: _r, cli: _cli, onProgress: _p, ...params } = o;
  const summary = {
    sqlite: summarize(runs.map((r) => r.sqlite)),
    postgres: summarize(runs.map((r) => r.postgres)),
    grpc: summarize(runs.map((r) => r.grpc)),
    nats: summarize(runs.map((r) => r.nats)),
    jetstreamPerSec: spreadOf(runs.map((r) => (r.jetstream?.failed ? undefined : r.jetstream?.perSec))),
    natsToRaw: spreadOf(runs.map((r) => r.natsToRaw ?? undefined)),
    floorPerSec: spreadOf(runs.map((r) => (r.floor?.failed ? undefined : r.floor?.perSec))),
    toFloor: spreadOf(runs.map((r) => r.toFloor ?? undefined)),
    cpuToFloor: spreadOf(runs.map((r) => r.cpuToFloor ?? undefined)),
  };
  const correctness = tally(runs);
  let peers: QueuePeerResult[] | null = null;
  if (o.peers) {
    const root = checkoutRoot();
    const installError = root ? await ensurePeersInstalled(join(root, 'bench', 'peers'), progress) : undefined;
    peers = await measureQueuePeers({
      tasks: o.tasks,
      subscribers: o.subscribers,
      concurrency: o.concurrency,
      rate: o.rate,
      durationSeconds: o.durationSeconds,
      runs: o.runs,
      postgresUrl: o.postgresUrl,
      redisUrl: o.redisUrl,
      onProgress: (line) => progress(`broker --peers: ${line}`),
    });
    if (installError) for (const p of peers) p.skipped ??= installError;
  }
  return {
    peers,
    scenario: 'broker',
    version: 1,
    startedAt: startedAt.toISOString(),
    durationMs: Date.now() - startedAt.getTime(),
    machine: finishMachine(machine),
    params: {
      ...params,
      ...BROKER_CONSTANTS,
      process: 'child',
      postgresUrl: wantPostgres ? redact(postgresUrl) : null,
      natsUrl: wantNats ? redact(natsUrl) : null,
      warmupTasks: load.warmupTasks,
    },
    postgresSkipped,
    natsSkipped,
    runs,
    summary,
    correctness,
    bars: bars(runs, correctness, postgresSkipped, natsSkipped, o),
  };
}

async function floorRun(
  cli: CliSpec,
  dir: string,
  load: LoadParams,
  nodeFlags: string[],
  say: (line: string) => void,
): Promise<NonNullable<BrokerRun['floor']>> {
  const spec = { role: 'floor' as const, path: join(dir, 'floor.db'), idsFile: join(dir, 'floor.ids'), load };
  try {
    const answer = await runHelper(cli, spec, { nodeFlags, onProgress: say });
    if (answer.event !== 'floor') throw new Error(`the floor process answered ${answer.event}`);
    say('floor: reading the store back');
    const verified = await verifyStore(answer.store, answer.idsFile, 0);
    return { ...answer.figures, verified };
  } catch (err) {
    return { ...FAILED_FLOOR, failed: (err as Error).message };
  }
}

const NO_VERIFICATION: Verification = {
  expected: 0,
  inStore: 0,
  completedOnce: 0,
  lost: 0,
  duplicated: 0,
  unexpected: 0,
};
const FAILED_FLOOR: FloorFigures & { verified: Verification } = {
  kind: 'floor',
  tasks: 0,
  batch: BROKER_CONSTANTS.floorBatch,
  wallMs: Number.NaN,
  perSec: Number.NaN,
  transactions: 0,
  cpuUsPerTask: Number.NaN,
  guardMisses: 0,
  verified: NO_VERIFICATION,
};

async function jetstreamRun(
  cli: CliSpec,
  url: string,
  stream: string,
  load: LoadParams,
  say: (line: string) => void,
): Promise<NonNullable<BrokerRun['jetstream']>> {
  try {
    const answer = await runHelper(cli, { role: 'jetstream', url, stream, load }, { nodeFlags: [], onProgress: say });
    if (answer.event !== 'jetstream') throw new Error(`the raw JetStream process answered ${answer.event}`);
    return answer.figures;
  } catch (err) {
    return {
      kind: 'jetstream',
      tasks: 0,
      wallMs: Number.NaN,
      perSec: Number.NaN,
      cpuUsPerTask: Number.NaN,
      acked: 0,
      duplicates: 0,
      errors: 0,
      failed: (err as Error).message,
    };
  }
}

/** One bus helper on one store: every measurement, each verified. A string: the store cannot hold tasks. */
async function busRun(
  cli: CliSpec,
  store: StoreSpec,
  dir: string,
  load: LoadParams,
  nodeFlags: string[],
  say: (line: string) => void,
): Promise<StoreRun | string> {
  const measurements: MeasurementKind[] = [
    ...(store.kind === 'nats' ? NATS_MEASUREMENTS : store.kind === 'grpc' ? GRPC_MEASUREMENTS : BUS_MEASUREMENTS),
  ];
  try {
    const answer = await runHelper(
      cli,
      { role: 'bus', store, load, measurements, idsDir: dir },
      { nodeFlags, onProgress: say },
    );
    if (answer.event === 'skipped') return answer.reason;
    if (answer.event !== 'result') throw new Error(`the bus process answered ${answer.event}`);
    const run: StoreRun = {};
    for (const m of answer.measurements) {
      say(`${store.kind} ${m.figures.kind}: reading the store back`);
      const verified = await verifyStore(m.store, m.idsFile, m.childrenPer);
      const counted = count(m.figures, m.childrenPer);
      (run as Record<string, unknown>)[m.figures.kind] = { ...m.figures, counted, verified };
    }
    return run;
  } catch (err) {
    return { failed: (err as Error).message };
  }
}

/** In-process counts against what was accepted: completions missing, tasks delivered or completed twice. */
function count(f: BusFigures, childrenPer: number): Counted {
  const c: Counts = f.counts;
  const want = c.accepted * (childrenPer || 1);
  let lost = Math.max(0, want - c.completed);
  let duplicated = c.redelivered + Math.max(0, c.completed - want);
  if (f.kind === 'broadcast') {
    lost += Math.max(0, c.accepted - f.parentsCompleted);
    duplicated += Math.max(0, f.parentsCompleted - c.accepted);
  }
  return { lost, duplicated, errors: c.errors };
}

function tally(runs: BrokerRun[]): BrokerBenchResult['correctness'] {
  let measurements = 0;
  let lost = 0;
  let duplicated = 0;
  let errors = 0;
  for (const r of runs) {
    if (r.floor && !r.floor.failed) {
      measurements++;
      lost += r.floor.verified.lost + r.floor.guardMisses;
      duplicated += r.floor.verified.duplicated;
    }
    for (const s of [r.sqlite, r.grpc, r.postgres, r.nats]) {
      for (const kind of BUS_MEASUREMENTS) {
        const m = s?.[kind];
        if (!m) continue;
        measurements++;
        lost += m.counted.lost + m.verified.lost;
        duplicated += m.counted.duplicated + m.verified.duplicated + m.verified.unexpected;
        errors += m.counted.errors;
      }
    }
  }
  return { measurements, lost, duplicated, errors, ok: lost + duplicated + errors === 0 };
}

function spreadOf(values: (number | undefined)[]): Spread | null {
  const v = values.filter((x): x is number => x !== undefined && Number.isFinite(x));
  return v.length === 0 ? null : spread(v);
}

function summarize(stores: (StoreRun | undefined)[]): StoreSummary | null {
  const ok = stores.filter((s): s is StoreRun => s !== undefined && s.failed === undefined);
  if (ok.length === 0) return null;
  const of = (pick: (s: StoreRun) => number | undefined): Spread =>
    spreadOf(ok.map(pick)) ?? { median: Number.NaN, min: Number.NaN, max: Number.NaN };
  return {
    perSec: of((s) => s.throughput?.perSec),
    claimP50: of((s) => s.latency?.claimMs.p50),
    claimP99: of((s) => s.latency?.claimMs.p99),
    completeP50: of((s) => s.latency?.completeMs.p50),
    completeP99: of((s) => s.latency?.completeMs.p99),
    broadcastChildPerSec: of((s) => s.broadcast?.childPerSec),
    broadcastParentPerSec: of((s) => s.broadcast?.parentPerSec),
    slowRefused: of((s) => s.slow?.refused),
    slowMaxWaiting: of((s) => s.slow?.slow.maxWaiting),
    slowWaitP99: of((s) => s.slow?.slow.claimMs.p99),
    fastClaimP99: of((s) => s.slow?.fast.claimMs.p99),
  };
}

function bars(
  runs: BrokerRun[],
  correctness: BrokerBenchResult['correctness'],
  postgresSkipped: string | null,
  natsSkipped: string | null,
  o: BrokerOptions,
): Bar[] {
  const store = o.store;
  const at = `at ${o.rate} tasks/s offered`;
  const judge = (
    label: string,
    bar: string,
    unit: string,
    values: (number | undefined)[],
    meets: (v: number) => boolean,
    skipped?: string,
  ): Bar => {
    const measured = values.filter((v): v is number => v !== undefined && Number.isFinite(v));
    const value = measured.length === 0 ? null : spread(measured);
    return {
      label,
      bar,
      unit,
      value,
      met: value === null ? null : meets(value.median),
      metRuns: measured.filter(meets).length,
      runs: measured.length,
      ...(value === null && skipped !== undefined ? { note: skipped } : {}),
    };
  };
  const notAsked = (what: string): string => `${what} not asked for (--store ${store})`;
  const sqliteSkip = ['all', 'both', 'sqlite'].includes(store) ? 'not measured' : notAsked('SQLite');
  const pgSkip = ['all', 'both', 'postgres'].includes(store)
    ? (postgresSkipped ?? 'not measured')
    : notAsked('PostgreSQL');
  const natsSkip = ['all', 'nats'].includes(store) ? (natsSkipped ?? 'not measured') : notAsked('NATS');
  const grpcSkip = ['all', 'grpc'].includes(store) ? 'not measured' : notAsked('gRPC');
  return [
    judge(
      'in process on durable SQLite, tasks/s ÷ floor',
      `≥ ${BROKER_BARS.toFloor}`,
      '×',
      runs.map((r) => r.toFloor ?? undefined),
      (v) => v >= BROKER_BARS.toFloor,
      sqliteSkip,
    ),
    judge(
      `publish → claim p50 ${at} (SQLite)`,
      `≤ ${BROKER_BARS.claimP50Ms} ms`,
      'ms',
      runs.map((r) => r.sqlite?.latency?.claimMs.p50),
      (v) => v <= BROKER_BARS.claimP50Ms,
      sqliteSkip,
    ),
    judge(
      `publish → claim p99 ${at} (SQLite)`,
      `≤ ${BROKER_BARS.claimP99Ms} ms`,
      'ms',
      runs.map((r) => r.sqlite?.latency?.claimMs.p99),
      (v) => v <= BROKER_BARS.claimP99Ms,
      sqliteSkip,
    ),
    judge(
      `publish → claim p99 ${at} (PostgreSQL)`,
      `≤ ${BROKER_BARS.postgresClaimP99Ms} ms`,
      'ms',
      runs.map((r) => r.postgres?.latency?.claimMs.p99),
      (v) => v <= BROKER_BARS.postgresClaimP99Ms,
      pgSkip,
    ),
    judge(
      'consumers over gRPC on loopback, tasks/s',
      `≥ ${BROKER_BARS.grpcPerSec}`,
      '/s',
      runs.map((r) => r.grpc?.throughput?.perSec),
      (v) => v >= BROKER_BARS.grpcPerSec,
      grpcSkip,
    ),
    judge(
      `consumers over gRPC, publish → completion p99 ${at}`,
      `≤ ${BROKER_BARS.grpcCompleteP99Ms} ms`,
      'ms',
      runs.map((r) => r.grpc?.latency?.completeMs.p99),
      (v) => v <= BROKER_BARS.grpcCompleteP99Ms,
      grpcSkip,
    ),
    judge(
      'through NATS JetStream, tasks/s ÷ raw JetStream',
      `≥ ${BROKER_BARS.natsToRaw}`,
      '×',
      runs.map((r) => r.natsToRaw ?? undefined),
      (v) => v >= BROKER_BARS.natsToRaw,
      natsSkip,
    ),
    {
      label: 'tasks lost or completed twice (counted, and read back from the stores)',
      bar: '= 0',
      unit: '',
      value:
        correctness.measurements === 0
          ? null
          : {
              median: correctness.lost + correctness.duplicated,
              min: correctness.lost + correctness.duplicated,
              max: correctness.lost + correctness.duplicated,
            },
      met: correctness.measurements === 0 ? null : correctness.ok,
      metRuns: correctness.ok ? runs.length : 0,
      runs: runs.length,
      note: `${correctness.measurements} measurements: ${correctness.lost} lost, ${correctness.duplicated} twice, ${correctness.errors} errors`,
    },
  ];
}

/** Null when NATS JetStream answers at `url`, else why not. */
async function probeNats(url: string): Promise<string | null> {
  const { connect } = await import('@nats-io/transport-node');
  const { jetstreamManager } = await import('@nats-io/jetstream');
  try {
    const nc = await connect({ servers: url, timeout: 3000 });
    try {
      await (await jetstreamManager(nc)).getAccountInfo();
    } finally {
      await nc.close();
    }
    return null;
  } catch (err) {
    return `NATS JetStream at ${url} does not answer (${(err as Error).message})`;
  }
}

/** Null when PostgreSQL answers at `url`, else why not. */
async function probePostgres(url: string): Promise<string | null> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return null;
  } catch (err) {
    return `PostgreSQL at ${redact(url)} does not answer (${(err as Error).message})`;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function dropSchemas(url: string, prefix: string): Promise<void> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  await client.connect();
  try {
    const { rows } = await client.query<{ schema_name: string }>(
      'SELECT schema_name FROM information_schema.schemata WHERE starts_with(schema_name, $1)',
      [prefix],
    );
    for (const { schema_name } of rows) await client.query(`DROP SCHEMA IF EXISTS "${schema_name}" CASCADE`);
  } finally {
    await client.end();
  }
}

/** The URL without its password. */
function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparsable URL)';
  }
}
