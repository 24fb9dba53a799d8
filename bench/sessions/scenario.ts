// Scenario `sessions`: many stored, idle sessions. `swiftlet serve` starts once on an empty store and once on a store
// filled with S sessions (through the store adapter: preparation, not measurement); each idles, then its memory, the
// time it took to listen and the database's size are read. Then a random share of the stored sessions come back and
// run a few turns each through the native API: memory again, the hot cache's hit rate, cold and warm turn latency.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BenchOutcome, SessionsOptions } from '../../src/cli/commands/bench.js';
import { openStore } from '../../src/store/index.js';
import { currentCli, type CliSpec } from '../child.js';
import { benchSchema, dropSchema, PG_URL, startSwiftletServer, type ServerSpec } from '../http/servers.js';
import { startMockProcess } from '../mock-process.js';
import { finishMachine, machineAtStart, type Machine } from '../proc.js';
import { quantile } from '../stats.js';
import { fillStore, type FillResult } from './fill.js';
import { analyzePostgres, postgresSize, readServer, sqliteSize, type DbSize, type ServerReading } from './readings.js';
import { renderSessions } from './report.js';
import { pickRandom, touchSessions, type TouchRun } from './touch.js';

/** The bar: idle resident memory of a server holding this many stored sessions. */
export const SESSIONS_BARS = { idleRssBytes: 120e6, atSessions: 100_000 } as const;
/** Sessions running their turns at once while they come back. */
export const TOUCH_PARALLEL = 4;
const AGENT = 'assistant';

export interface SessionsBenchOptions extends SessionsOptions {
  cli?: CliSpec;
  onProgress?: (line: string) => void;
}

/** One `swiftlet serve` on the store, read after idling. */
export interface ServerRun {
  pid: number;
  /** spawn → the server printed its address (it listens): config, store opening, recovery of open turns. */
  startMs: number;
  idle: ServerReading;
  db: DbSize;
}

export interface LatencyFigures {
  n: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export interface SessionsBenchResult {
  scenario: 'sessions';
  version: 1;
  startedAt: string;
  durationMs: number;
  machine: Machine;
  params: SessionsOptions & {
    touchedSessions: number;
    parallel: number;
    /** Entries (messages, turn starts and ends) per stored session. */
    entriesPerSession: number;
    pgSchema: string | null;
  };
  fill: FillResult;
  /** The same server on the same, still empty store: what any start and any idle process costs here. */
  empty: ServerRun;
  full: ServerRun;
  /** full − empty: what S stored sessions add. */
  growth: { startMs: number; idleRssBytes: number; idleHeapUsedBytes: number };
  touch: {
    sessions: number;
    turns: number;
    completed: number;
    errors: number;
    firstError?: string;
    wallMs: number;
    hits: number;
    misses: number;
    /** hits ÷ (hits + misses) during the touched turns; null when there was no lookup. */
    hitRate: number | null;
    /** Hot-cache lookups per turn (the route checks the session, then the turn loads it). */
    lookupsPerTurn: number;
    cold: LatencyFigures;
    warm: LatencyFigures;
    after: ServerReading;
  };
  bars: { idleRssBytes: { bar: number; atSessions: number; value: number; met: boolean } };
  meetsBars: boolean;
}

export async function runSessionsBench(o: SessionsBenchOptions): Promise<BenchOutcome> {
  const result = await measureSessions(o);
  return {
    json: result,
    table: renderSessions(result),
    complete: result.touch.completed === result.touch.turns,
  };
}

export async function measureSessions(o: SessionsBenchOptions): Promise<SessionsBenchResult> {
  const startedAt = new Date();
  const machine = machineAtStart();
  const cli = o.cli ?? currentCli();
  const progress = o.onProgress ?? (() => {});
  const dir = mkdtempSync(join(tmpdir(), 'swiftlet-bench-sessions-'));
  const schema = o.store === 'postgres' ? benchSchema() : undefined;
  try {
    const mock = await startMockProcess(cli, dir);
    try {
      const spec: ServerSpec = {
        mockUrl: mock.url,
        dir,
        store: o.store,
        durability: 'durable',
        ...(o.heapProfDir === undefined ? {} : { heapProfDir: o.heapProfDir }),
      };
      const dbSize = (): DbSize | Promise<DbSize> =>
        schema === undefined ? sqliteSize(join(dir, 'swiftlet.db')) : postgresSize(schema);

      progress('sessions: the server on the empty store');
      const empty = await serve(cli, spec, schema, o.idleSeconds, dbSize);
      await empty.server.close();

      const filled = await fill(o, join(dir, 'swiftlet.db'), schema, progress);

      progress(`sessions: the server on ${o.sessions} stored sessions`);
      const full = await serve(cli, spec, schema, o.idleSeconds, dbSize);
      try {
        const picked = pickRandom(filled.ids, Math.max(1, Math.round((o.sessions * o.touchPercent) / 100)));
        const run = await touchSessions(full.server.url, picked, {
          turns: o.touchTurns,
          parallel: TOUCH_PARALLEL,
          onProgress: (done, total) => progress(`sessions: touched turns ${done}/${total}`),
        });
        const after = await readServer(full.server.url, full.server.pid);
        const { cli: _c, onProgress: _p, ...params } = o;
        return {
          scenario: 'sessions',
          version: 1,
          startedAt: startedAt.toISOString(),
          durationMs: Date.now() - startedAt.getTime(),
          machine: finishMachine(machine),
          params: {
            ...params,
            touchedSessions: picked.length,
            parallel: TOUCH_PARALLEL,
            entriesPerSession: filled.result.entries / filled.result.sessions,
            pgSchema: schema ?? null,
          },
          fill: filled.result,
          ...figures(empty.run, full.run, run, after),
        };
      } finally {
        await full.server.close();
      }
    } finally {
      await mock.close();
    }
  } finally {
    if (schema !== undefined) await dropSchema(schema);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Fills the store the server uses through its adapter, then closes it (SQLite checkpoints its WAL on close). */
async function fill(
  o: SessionsBenchOptions,
  sqlitePath: string,
  schema: string | undefined,
  progress: (line: string) => void,
): Promise<Awaited<ReturnType<typeof fillStore>>> {
  const store = await openStore(
    schema === undefined ? { driver: 'sqlite', path: sqlitePath } : { driver: 'postgres', url: PG_URL, schema },
  );
  try {
    const filled = await fillStore(store, {
      sessions: o.sessions,
      messages: o.messages,
      agent: AGENT,
      onProgress: (done) => progress(`sessions: filling the store ${done}/${o.sessions}`),
    });
    if (schema !== undefined) await analyzePostgres(schema);
    return filled;
  } finally {
    await store.close();
  }
}

function figures(
  empty: ServerRun,
  full: ServerRun,
  run: TouchRun,
  after: ServerReading,
): Pick<SessionsBenchResult, 'empty' | 'full' | 'growth' | 'touch' | 'bars' | 'meetsBars'> {
  const hits = after.hotCacheHits - full.idle.hotCacheHits;
  const misses = after.hotCacheMisses - full.idle.hotCacheMisses;
  const met = full.idle.rssBytes <= SESSIONS_BARS.idleRssBytes;
  return {
    empty,
    full,
    growth: {
      startMs: full.startMs - empty.startMs,
      idleRssBytes: full.idle.rssBytes - empty.idle.rssBytes,
      idleHeapUsedBytes: full.idle.heapUsedBytes - empty.idle.heapUsedBytes,
    },
    touch: {
      sessions: run.sessions,
      turns: run.turns,
      completed: run.completed,
      errors: run.errors,
      ...(run.firstError === undefined ? {} : { firstError: run.firstError }),
      wallMs: run.wallMs,
      hits,
      misses,
      hitRate: hits + misses === 0 ? null : hits / (hits + misses),
      lookupsPerTurn: run.turns === 0 ? Number.NaN : (hits + misses) / run.turns,
      cold: latency(run.coldMs),
      warm: latency(run.warmMs),
      after,
    },
    bars: {
      idleRssBytes: {
        bar: SESSIONS_BARS.idleRssBytes,
        atSessions: SESSIONS_BARS.atSessions,
        value: full.idle.rssBytes,
        met,
      },
    },
    meetsBars: met,
  };
}

/** Starts the server, lets it idle, reads it; the caller closes the server. */
async function serve(
  cli: CliSpec,
  spec: ServerSpec,
  schema: string | undefined,
  idleSeconds: number,
  dbSize: () => DbSize | Promise<DbSize>,
): Promise<{ server: Awaited<ReturnType<typeof startSwiftletServer>>; run: ServerRun }> {
  const t0 = performance.now();
  const server = await startSwiftletServer(cli, spec, schema);
  const startMs = performance.now() - t0;
  try {
    await sleep(idleSeconds * 1000);
    const idle = await readServer(server.url, server.pid);
    return { server, run: { pid: server.pid, startMs, idle, db: await dbSize() } };
  } catch (err) {
    await server.close();
    throw err;
  }
}

function latency(samplesMs: readonly number[]): LatencyFigures {
  const sorted = Float64Array.from(samplesMs).sort();
  return {
    n: sorted.length,
    p50Ms: quantile(sorted, 0.5),
    p99Ms: quantile(sorted, 0.99),
    maxMs: sorted.at(-1) ?? Number.NaN,
  };
}
