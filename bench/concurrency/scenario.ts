// Scenario `concurrency`: many sessions in flight at once against a slow mock LLM, each a closed loop of turns, at
// each level of --users; per contender (the server over HTTP, the runtime in-process, the fetch loop) completed
// turns/s, latency and overhead, errors, peak memory and CPU. Every contender runs in fresh processes of its own, one
// after the other, so that its memory and CPU are its own (src/cli/commands/bench-help/concurrency.ts says more).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BenchOutcome, ConcurrencyOptions } from '../../src/cli/commands/bench.js';
import { SwiftletError } from '../../src/core/index.js';
import { currentCli, type CliSpec } from '../child.js';
import { startMockProcess } from '../mock-process.js';
import { finishMachine, machineAtStart, type Machine } from '../proc.js';
import { isFailed, judge, CONTENDER_LABELS, type Bars, type ContenderKey, type Run } from './figures.js';
import type { LoopParams } from './loop.js';
import { openFileLimit } from './procs.js';
import { renderConcurrency } from './report.js';
import { TURN_TIMEOUT_MS, runContender, type RunContext } from './run.js';

export interface ConcurrencyBenchOptions extends ConcurrencyOptions {
  /** Write V8 CPU profiles of the server and the in-process Swiftlet into this directory. */
  cpuProfDir?: string;
  cli?: CliSpec;
  onProgress?: (line: string) => void;
}

/** Open files each process keeps for itself besides the sessions' sockets (files, pipes, the store, listeners). */
export const FD_RESERVE = 512;
/** The fewest connections to the mock the server is given when the open-file limit bounds them. */
const MIN_MODEL_CONNECTIONS = 64;
/** The window opens at the latest this long after the first turns started, every session warmed or not. */
const WARMUP_CAP_MS = 60_000;

export interface ConcurrencyLevel {
  users: number;
  contenders: Partial<Record<ContenderKey, Run>>;
}

export interface ConcurrencyBenchResult {
  scenario: 'concurrency';
  version: 1;
  startedAt: string;
  durationMs: number;
  machine: Machine;
  params: Omit<ConcurrencyOptions, 'apiKey' | 'target'> & {
    target: string | null;
    /** A bearer key was sent to --target (the key itself is not written). */
    apiKey: boolean;
    contenders: ContenderKey[];
    spreadMs: number;
    warmupCapMs: number;
    errorPauseMs: number;
    drainMs: number;
    turnTimeoutMs: number;
    /** `ulimit -n` of the run (every process inherits it); null when unknown. */
    openFileLimit: number | null;
    /** The server's providers.mock.maxConnections per level: C unless the open-file limit bounds it ({} for target). */
    modelConnections: Record<string, number>;
    /** The in-process Swiftlet contender's store (the server's is `store`). */
    inProcessStore: 'sqlite';
    /** PostgreSQL schemas the servers used (dropped at the end). */
    pgSchemas: string[];
  };
  levels: ConcurrencyLevel[];
  bars: Bars;
}

export async function runConcurrencyBench(o: ConcurrencyBenchOptions): Promise<BenchOutcome> {
  const result = await measureConcurrency(o);
  return {
    json: result,
    table: renderConcurrency(result),
    // Errors and missed bars under load are the measurement; a contender with no figures at a level is not.
    complete: result.levels.every((l) => Object.values(l.contenders).every((r) => !isFailed(r))),
  };
}

/**
 * Checks that `users` sessions in flight fit under the open-file limit L (`ulimit -n`, inherited by every process of
 * the run): the load generator holds a socket per session; our server one per session and one per model call in
 * flight, of which it needs at least 64. Returns the server's connections to the mock, min(users, L − users −
 * FD_RESERVE) (`users` with --target, where it does not apply).
 */
export function modelConnectionsFor(users: number, limit: number, targeted: boolean): number {
  const spare = Number.isFinite(limit) ? limit - users - FD_RESERVE : Number.POSITIVE_INFINITY;
  const need = targeted ? 0 : MIN_MODEL_CONNECTIONS;
  if (spare < need) {
    const holders = targeted
      ? 'the load generator holds a socket per session'
      : 'the load generator and the server each hold a socket per session, the server one more per model call';
    const wanted = targeted ? users + FD_RESERVE : 2 * users + FD_RESERVE;
    throw new SwiftletError(
      'SWIFTLET_ERR_INVALID_INPUT',
      `--users ${users}: the open-file limit is ${limit}, too low (${holders}); ` +
        `raise it with \`ulimit -n ${wanted}\` or lower --users`,
    );
  }
  return targeted ? users : Math.min(users, Math.max(MIN_MODEL_CONNECTIONS, spare));
}

export async function measureConcurrency(o: ConcurrencyBenchOptions): Promise<ConcurrencyBenchResult> {
  const rawLimit = openFileLimit();
  const targeted = o.target !== undefined;
  const modelConnections: Record<string, number> = {};
  for (const users of o.users) {
    const n = modelConnectionsFor(users, rawLimit, targeted);
    if (!targeted) modelConnections[users] = n;
  }

  const startedAt = new Date();
  const machine = machineAtStart();
  const cli = o.cli ?? currentCli();
  const progress = o.onProgress ?? (() => {});
  const contenders: ContenderKey[] = targeted ? ['target'] : ['server', 'swiftlet', 'fetchLoop'];
  const turnMs = 2 * o.llmLatencyMs;
  const shape = {
    spreadMs: turnMs,
    errorPauseMs: Math.max(100, turnMs),
    warmupCapMs: WARMUP_CAP_MS,
    drainMs: 2000 + 2 * turnMs,
  };
  const dir = mkdtempSync(join(tmpdir(), 'swiftlet-bench-concurrency-'));
  const schemas: string[] = [];
  try {
    const mock = targeted ? undefined : await startMockProcess(cli, dir, o.llmLatencyMs);
    const levels: ConcurrencyLevel[] = [];
    try {
      for (const users of o.users) {
        const level: ConcurrencyLevel = { users, contenders: {} };
        levels.push(level);
        const loop: LoopParams = { users, durationMs: o.durationSeconds * 1000, ...shape };
        const context: RunContext = {
          cli,
          dir,
          ...(mock === undefined ? {} : { mock }),
          loop,
          durationSeconds: o.durationSeconds,
          llmLatencyMs: o.llmLatencyMs,
          store: o.store,
          durability: o.durability,
          modelConnections: modelConnections[users]!,
          ...(o.target === undefined ? {} : { target: o.target }),
          ...(o.apiKey === undefined ? {} : { apiKey: o.apiKey }),
          ...(o.cpuProfDir === undefined ? {} : { cpuProfDir: o.cpuProfDir }),
          ...(o.heapProfDir === undefined ? {} : { heapProfDir: o.heapProfDir }),
          progress,
          schemas,
        };
        for (const key of contenders) {
          level.contenders[key] = await runContender(key, context).catch((err: unknown): Run => ({
            label: CONTENDER_LABELS[key],
            users,
            failed: err instanceof Error ? err.message : String(err),
          }));
        }
      }
    } finally {
      await mock?.close();
    }
    const { cli: _c, onProgress: _p, apiKey, target, cpuProfDir: _cp, ...params } = o;
    return {
      scenario: 'concurrency',
      version: 1,
      startedAt: startedAt.toISOString(),
      durationMs: Date.now() - startedAt.getTime(),
      machine: finishMachine(machine),
      params: {
        ...params,
        target: target ?? null,
        apiKey: apiKey !== undefined,
        contenders,
        ...shape,
        turnTimeoutMs: TURN_TIMEOUT_MS,
        openFileLimit: Number.isFinite(rawLimit) ? rawLimit : null,
        modelConnections,
        inProcessStore: 'sqlite',
        pgSchemas: schemas,
      },
      levels,
      bars: judge(levels),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
