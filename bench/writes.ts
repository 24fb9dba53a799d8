// Scenario `writes`: store transactions per turn under rapid turns. The runtime in-process on SQLite or PostgreSQL,
// many sessions running turns back to back at once against the mock LLM (latency 0), once per durability mode. The
// group-commit writer's own count says how many transactions the turns took; the commit diagnostics channel how long
// each one was.
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import type { BenchOutcome, WritesOptions } from '../src/cli/commands/bench.js';
import { parseConfig } from '../src/config/index.js';
import { CHANNELS, type StoreCommitMessage } from '../src/core/index.js';
import { createRuntime } from '../src/runtime/index.js';
import { currentCli, type CliSpec } from './child.js';
import { benchSchema, dropSchema, serverConfig } from './http/servers.js';
import { startMockProcess } from './mock-process.js';
import { finishMachine, machineAtStart, type Machine } from './proc.js';
import { quantile } from './stats.js';
import { fmt, mb, table } from './table.js';
import { FINAL_TEXT, turnInput } from './workload.js';

export const WRITES_RATIO_BAR = 0.9;

export interface WritesBenchOptions extends WritesOptions {
  cli?: CliSpec;
  onProgress?: (line: string) => void;
}

export interface WritesModeResult {
  durability: 'durable' | 'relaxed';
  turns: number;
  completed: number;
  errors: number;
  firstError?: string;
  transactions: number;
  entries: number;
  transactionsPerTurn: number;
  entriesPerTransaction: number;
  turnsPerSec: number;
  wallMs: number;
  txMs: { p50: number; p99: number; max: number };
  /** Wall time of one turn (run() to its result), over completed turns. */
  turnMs: { p50: number; p95: number; p99: number };
  /** CPU seconds (user + system) of this process during the mode's turns: the runtime and the writer, not the mock. */
  cpuSeconds: number;
  /** This process after the turns: resident memory and V8 heap in use. */
  rssBytes: number;
  heapUsedBytes: number;
}

export interface WritesBenchResult {
  scenario: 'writes';
  version: 1;
  startedAt: string;
  durationMs: number;
  machine: Machine;
  params: WritesOptions & { mockLatencyMs: 0 };
  modes: WritesModeResult[];
  /** turns/s durable ÷ relaxed, when both ran. */
  durableToRelaxed: number | null;
}

export async function runWritesBench(o: WritesBenchOptions): Promise<BenchOutcome> {
  const result = await measureWrites(o);
  return {
    json: result,
    table: renderWrites(result),
    complete: result.modes.every((m) => m.completed === m.turns),
  };
}

export async function measureWrites(o: WritesBenchOptions): Promise<WritesBenchResult> {
  const startedAt = new Date();
  const machine = machineAtStart();
  const dir = mkdtempSync(join(tmpdir(), 'swiftlet-bench-writes-'));
  const mock = await startMockProcess(o.cli ?? currentCli(), dir).catch((err: unknown) => {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  });
  try {
    const modes: WritesModeResult[] = [];
    const wanted = o.durability === 'both' ? (['durable', 'relaxed'] as const) : [o.durability];
    for (const durability of wanted) modes.push(await oneMode(o, durability, mock.url, join(dir, durability)));
    const durable = modes.find((m) => m.durability === 'durable');
    const relaxed = modes.find((m) => m.durability === 'relaxed');
    const { cli: _c, onProgress: _p, ...params } = o;
    return {
      scenario: 'writes',
      version: 1,
      startedAt: startedAt.toISOString(),
      durationMs: Date.now() - startedAt.getTime(),
      machine: finishMachine(machine),
      params: { ...params, mockLatencyMs: 0 },
      modes,
      durableToRelaxed: durable && relaxed ? durable.turnsPerSec / relaxed.turnsPerSec : null,
    };
  } finally {
    await mock.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function oneMode(
  o: WritesBenchOptions,
  durability: 'durable' | 'relaxed',
  mockUrl: string,
  dir: string,
): Promise<WritesModeResult> {
  mkdirSync(dir, { recursive: true });
  const schema = o.store === 'postgres' ? benchSchema() : undefined;
  const config = serverConfig({ mockUrl, dir, store: o.store, durability }, schema);
  const runtime = await createRuntime({ config: parseConfig(JSON.stringify(config), { env: {} }).config });
  const txMs: number[] = [];
  const onCommit = (m: unknown): void => {
    const msg = m as StoreCommitMessage;
    if (msg.error === undefined) txMs.push(msg.durationMs);
  };
  let completed = 0;
  let errors = 0;
  let firstError: string | undefined;
  const total = o.users * o.turns;
  try {
    // One turn per session first, so that creating the sessions is not in the count.
    await Promise.all(
      Array.from({ length: o.users }, (_, u) => runtime.run({ sessionId: `w-${u}`, input: 'hi' }).result),
    );
    // Relaxed mode's write-behind flush of those turns must not land in the measured window.
    for (let waited = 0; runtime.stats.writer.pending > 0 && waited < 5000; waited += 5) await sleep(5);
    const before = runtime.stats.writer;
    subscribe(CHANNELS.storeCommit, onCommit);
    const turnMs: number[] = [];
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const session = async (u: number): Promise<void> => {
      for (let i = 0; i < o.turns; i++) {
        try {
          const started = performance.now();
          const end = await runtime.run({ sessionId: `w-${u}`, input: turnInput(i) }).result;
          if (end.outcome === 'final' && end.text === FINAL_TEXT) {
            completed++;
            turnMs.push(performance.now() - started);
          } else {
            errors++;
            firstError ??= `${end.outcome}${end.error ? `: ${end.error.message}` : ''}`;
          }
        } catch (err) {
          errors++;
          firstError ??= (err as Error).message;
        }
        if ((completed + errors) % 200 === 0) {
          o.onProgress?.(`writes: ${durability} ${completed + errors}/${total} turns`);
        }
      }
    };
    await Promise.all(Array.from({ length: o.users }, (_, u) => session(u)));
    const wallMs = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    const memory = process.memoryUsage();
    const turns = Float64Array.from(turnMs).sort();
    // Relaxed mode acknowledges before the commit: what is still queued is written by close() and counted too.
    await runtime.close();
    const after = runtime.stats.writer;
    const transactions = after.transactions - before.transactions;
    const entries = after.entries - before.entries;
    const sorted = Float64Array.from(txMs).sort();
    return {
      durability,
      turns: total,
      completed,
      errors,
      ...(firstError === undefined ? {} : { firstError }),
      transactions,
      entries,
      transactionsPerTurn: completed === 0 ? Number.NaN : transactions / completed,
      entriesPerTransaction: transactions === 0 ? Number.NaN : entries / transactions,
      turnsPerSec: (completed * 1000) / wallMs,
      wallMs,
      txMs: { p50: quantile(sorted, 0.5), p99: quantile(sorted, 0.99), max: sorted.at(-1) ?? Number.NaN },
      turnMs: { p50: quantile(turns, 0.5), p95: quantile(turns, 0.95), p99: quantile(turns, 0.99) },
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
      rssBytes: memory.rss,
      heapUsedBytes: memory.heapUsed,
    };
  } finally {
    unsubscribe(CHANNELS.storeCommit, onCommit);
    await runtime.close();
    if (schema !== undefined) await dropSchema(schema);
  }
}

export function renderWrites(r: WritesBenchResult): string {
  const p = r.params;
  const lines = [
    `writes: ${p.users} sessions × ${p.turns} turns back to back, at once; runtime in-process on ${p.store}; ` +
      'mock LLM in its own process, latency 0',
    `machine: ${r.machine.nproc} CPU(s) ${r.machine.cpu}, node ${r.machine.node}`,
    '',
  ];
  const rows = [
    [
      'durability',
      'turns/s',
      'transactions/turn',
      'entries/tx',
      'tx ms p50',
      'p99',
      'turn ms p50',
      'p95',
      'p99',
      'cpu s',
      'rss MB',
      'heap MB',
      'completed',
    ],
  ];
  for (const m of r.modes) {
    rows.push([
      m.durability,
      fmt(m.turnsPerSec, 0),
      fmt(m.transactionsPerTurn, 3),
      fmt(m.entriesPerTransaction, 1),
      fmt(m.txMs.p50, 3),
      fmt(m.txMs.p99, 3),
      fmt(m.turnMs.p50, 2),
      fmt(m.turnMs.p95, 2),
      fmt(m.turnMs.p99, 2),
      fmt(m.cpuSeconds, 2),
      mb(m.rssBytes),
      mb(m.heapUsedBytes),
      `${m.completed}/${m.turns}${m.firstError ? ` (${m.firstError})` : ''}`,
    ]);
  }
  lines.push(...table(rows), '');
  if (r.durableToRelaxed !== null) {
    const ok = r.durableToRelaxed >= WRITES_RATIO_BAR;
    lines.push(
      `durable ÷ relaxed turns/s: ${fmt(r.durableToRelaxed, 2)} — ` +
        (ok ? `meets the bar (≥ ${WRITES_RATIO_BAR})` : `BELOW the bar of ${WRITES_RATIO_BAR}`),
    );
  }
  lines.push('see `swiftlet bench --help` for what each figure means');
  return lines.join('\n') + '\n';
}
