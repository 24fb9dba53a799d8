// Scenario `turn`: overhead per turn. Three contenders run the same sequential turns (a tool call and a final answer,
// two model calls each) against one mock LLM process with zero latency, in interleaved blocks so that machine drift
// and background noise hit all of them alike. Every turn is timed on its own with performance.now().
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { currentCli, type CliSpec } from './child.js';
import { fetchLoopContender } from './baselines/fetch-loop.js';
import { floorContender } from './baselines/floor.js';
import { swiftletContender } from './contenders/swiftlet.js';
import { CONTENDER_LABELS, type Contender, type ContenderKey, type ContenderOptions } from './contender.js';
import { measureMemory, type MemoryResult } from './memory.js';
import { startMockProcess } from './mock-process.js';
import { spread, summarize, type LatencySummary, type Spread } from './stats.js';
import { HISTORY_WINDOW } from './workload.js';

export const RATIO_BAR = 1.25;
const BLOCK = 50;
const ORDER: readonly ContenderKey[] = ['swiftlet', 'fetchLoop', 'floor'];

export interface TurnBenchOptions {
  turns: number;
  runs: number;
  warmup: number;
  sessions: number;
  /** Sessions for the memory figures; 0 skips them. */
  memSessions: number;
  store: ContenderOptions['store'];
  durability: ContenderOptions['durability'];
  /** With --memory-profile: the memory probe writes a V8 sampling heap profile here. */
  heapProfDir?: string;
  /** How to start the mock LLM and memory probe processes; defaults to the way this process was started. */
  cli?: CliSpec;
  onProgress?: (p: TurnProgress) => void;
}

export interface TurnProgress {
  run: number;
  runs: number;
  phase: 'warmup' | 'measure' | 'memory';
  /** Turns done in this phase by each contender. */
  done: Record<ContenderKey, number>;
  of: number;
}

export interface ContenderResult {
  label: string;
  offered: number;
  completed: number;
  /** Per run, over that run's completed turns. */
  runs: RunFigures[];
  /** Median and range over runs of the per-run figures. */
  medianMs: Spread;
  p95Ms: Spread;
  p99Ms: Spread;
  turnsPerSec: Spread;
  cpuMsPerTurn: Spread;
}

export interface RunFigures extends LatencySummary {
  /** CPU time (user + system) of this process during the contender's measured turns ÷ turns offered. */
  cpuMsPerTurn: number;
}

export interface TurnBenchResult {
  scenario: 'turn';
  version: 1;
  startedAt: string;
  durationMs: number;
  machine: { nproc: number; cpu: string; memoryMb: number; node: string; platform: string; arch: string };
  params: Omit<TurnBenchOptions, 'cli' | 'onProgress'> & { block: number; historyWindow: number; mockLatencyMs: 0 };
  contenders: Record<ContenderKey, ContenderResult>;
  /** Per-run ratios of median ms per turn. */
  ratios: { swiftletToFloor: Spread; fetchLoopToFloor: Spread; bar: number; meetsBar: boolean };
  memory: MemoryResult | null;
}

export async function runTurnBench(o: TurnBenchOptions): Promise<TurnBenchResult> {
  const startedAt = new Date();
  const cli = o.cli ?? currentCli();
  const dir = mkdtempSync(join(tmpdir(), 'swiftlet-bench-'));
  const mock = await startMockProcess(cli, dir).catch((err: unknown) => {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  });
  try {
    const perRun: Record<ContenderKey, RunResult[]> = {
      swiftlet: [],
      fetchLoop: [],
      floor: [],
    };
    for (let run = 1; run <= o.runs; run++) {
      const results = await oneRun(o, run, { mockUrl: mock.url, dir: join(dir, `run-${run}`) });
      for (const key of ORDER) perRun[key].push(results[key]);
    }
    let memory: MemoryResult | null = null;
    if (o.memSessions > 0) {
      o.onProgress?.({
        run: o.runs,
        runs: o.runs,
        phase: 'memory',
        done: { swiftlet: 0, fetchLoop: 0, floor: 0 },
        of: 0,
      });
      memory = await measureMemory(cli, { ...o, mockUrl: mock.url, dir: join(dir, 'memory'), sessions: o.memSessions });
    }
    return assemble(o, startedAt, perRun, memory);
  } finally {
    await mock.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

interface RunResult {
  summary: RunFigures;
  completed: number;
}

async function oneRun(
  o: TurnBenchOptions,
  run: number,
  where: { mockUrl: string; dir: string },
): Promise<Record<ContenderKey, RunResult>> {
  const base = { ...where, sessions: o.sessions, store: o.store, durability: o.durability };
  const sub = (name: string): ContenderOptions => {
    const dir = join(where.dir, name);
    mkdirSync(dir, { recursive: true });
    return { ...base, dir };
  };
  const contenders: Record<ContenderKey, Contender> = {
    swiftlet: await swiftletContender(sub('swiftlet')),
    fetchLoop: fetchLoopContender(base),
    floor: floorContender(sub('floor')),
  };
  try {
    await interleaved(contenders, 0, o.warmup, (done) =>
      o.onProgress?.({ run, runs: o.runs, phase: 'warmup', done, of: o.warmup }),
    );
    const samples = {} as Record<ContenderKey, number[]>;
    const cpuUs: Record<ContenderKey, number> = { swiftlet: 0, fetchLoop: 0, floor: 0 };
    for (const key of ORDER) samples[key] = [];
    await interleaved(
      contenders,
      o.warmup,
      o.turns,
      (done) => o.onProgress?.({ run, runs: o.runs, phase: 'measure', done, of: o.turns }),
      { sample: (key, ms) => samples[key].push(ms), cpu: (key, us) => (cpuUs[key] += us) },
    );
    const out = {} as Record<ContenderKey, RunResult>;
    for (const key of ORDER) {
      const summary = { ...summarize(samples[key]), cpuMsPerTurn: cpuUs[key] / 1000 / o.turns };
      out[key] = { summary, completed: samples[key].length };
    }
    return out;
  } finally {
    for (const key of ORDER) await contenders[key].close();
  }
}

/** Turns `first … first+count-1`, in blocks of BLOCK per contender, contenders in a fixed order each round. */
async function interleaved(
  contenders: Record<ContenderKey, Contender>,
  first: number,
  count: number,
  progress: (done: Record<ContenderKey, number>) => void,
  measure?: { sample: (key: ContenderKey, ms: number) => void; cpu: (key: ContenderKey, us: number) => void },
): Promise<void> {
  const done: Record<ContenderKey, number> = { swiftlet: 0, fetchLoop: 0, floor: 0 };
  for (let start = 0; start < count; start += BLOCK) {
    const end = Math.min(count, start + BLOCK);
    for (const key of ORDER) {
      const c = contenders[key];
      const cpu0 = process.cpuUsage();
      for (let i = start; i < end; i++) {
        const t0 = performance.now();
        const ok = await c.turn(first + i);
        const t1 = performance.now();
        if (ok) measure?.sample(key, t1 - t0);
      }
      const cpu = process.cpuUsage(cpu0);
      measure?.cpu(key, cpu.user + cpu.system);
      done[key] = end;
      progress(done);
    }
  }
}

function assemble(
  o: TurnBenchOptions,
  startedAt: Date,
  perRun: Record<ContenderKey, RunResult[]>,
  memory: MemoryResult | null,
): TurnBenchResult {
  const contenders = {} as Record<ContenderKey, ContenderResult>;
  for (const key of ORDER) {
    const runs = perRun[key].map((r) => r.summary);
    contenders[key] = {
      label: CONTENDER_LABELS[key],
      offered: o.turns * o.runs,
      completed: perRun[key].reduce((n, r) => n + r.completed, 0),
      runs,
      medianMs: spread(runs.map((r) => r.medianMs)),
      p95Ms: spread(runs.map((r) => r.p95Ms)),
      p99Ms: spread(runs.map((r) => r.p99Ms)),
      turnsPerSec: spread(runs.map((r) => r.turnsPerSec)),
      cpuMsPerTurn: spread(runs.map((r) => r.cpuMsPerTurn)),
    };
  }
  const ratio = (key: ContenderKey): Spread =>
    spread(perRun[key].map((r, i) => r.summary.medianMs / perRun.floor[i]!.summary.medianMs));
  const swiftletToFloor = ratio('swiftlet');
  const { cli: _cli, onProgress: _p, ...params } = o;
  return {
    scenario: 'turn',
    version: 1,
    startedAt: startedAt.toISOString(),
    durationMs: Date.now() - startedAt.getTime(),
    machine: {
      nproc: availableParallelism(),
      cpu: cpus()[0]?.model.trim() ?? 'unknown',
      memoryMb: Math.round(totalmem() / 1024 / 1024),
      node: process.version,
      platform: process.platform,
      arch: process.arch,
    },
    params: { ...params, block: BLOCK, historyWindow: HISTORY_WINDOW, mockLatencyMs: 0 },
    contenders,
    ratios: {
      swiftletToFloor,
      fetchLoopToFloor: ratio('fetchLoop'),
      bar: RATIO_BAR,
      meetsBar: swiftletToFloor.median <= RATIO_BAR,
    },
    memory,
  };
}
