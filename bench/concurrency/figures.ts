// The figures of one contender at one level, built from its loop result and the parent's readings of its processes,
// and the scenario's bars.
import type { ErrorCounts, LoopResult } from './loop.js';

export type ContenderKey = 'server' | 'swiftlet' | 'fetchLoop' | 'target';

export const CONTENDER_LABELS: Record<ContenderKey, string> = {
  server: 'server',
  swiftlet: 'swiftlet',
  fetchLoop: 'fetch loop',
  target: 'target',
};

/** Readings the parent takes of the processes around the loop. */
export interface Readings {
  /** Highest resident memory of the contender's process, sampled every 100 ms (bytes; NaN when unknown). */
  peakRssBytes: number;
  /** CPU seconds in the window: the contender's process, the load generator's (HTTP only), the mock LLM's. */
  cpuSeconds: number;
  generatorCpuSeconds: number;
  mockCpuSeconds: number;
}

export interface ContenderFigures {
  label: string;
  users: number;
  /** Turns that ended with the expected answer inside the window. */
  completed: number;
  /** completed ÷ the window's seconds. */
  turnsPerSec: number;
  /** users ÷ (2 × LLM latency): every session always in a model call (null for --target or a latency of 0). */
  idealTurnsPerSec: number | null;
  /** The most completions the window allows: users × (⌊window ÷ (2 × LLM latency)⌋ + 1) (null as above). */
  maxPossible: number | null;
  latencyMs: LoopResult['latencyMs'];
  /** Latency − 2 × LLM latency at the same quantiles (null for --target, whose model is not our mock). */
  overheadMs: { p50: number; p95: number; p99: number } | null;
  /** Failed turns that ended inside the window. */
  errors: ErrorCounts;
  warmup: LoopResult['warmup'];
  unfinished: number;
  peakRssBytes: number | null;
  cpuSeconds: number | null;
  generatorCpuSeconds: number | null;
  mockCpuSeconds: number | null;
  /** Event-loop delay p99 of the process that timed the turns (the generator, or the in-process contender). */
  loopDelayP99Ms: number | null;
}

/** A contender that produced no figures at a level: its process failed, or could not be set up. */
export interface FailedRun {
  label: string;
  users: number;
  failed: string;
}

export type Run = ContenderFigures | FailedRun;

export const isFailed = (r: Run): r is FailedRun => 'failed' in r;

const num = (v: number): number | null => (Number.isFinite(v) ? v : null);

export function contenderFigures(
  key: ContenderKey,
  loop: LoopResult,
  readings: Readings,
  o: { durationSeconds: number; llmLatencyMs: number },
): ContenderFigures {
  const turnMs = 2 * o.llmLatencyMs;
  const ours = key !== 'target';
  const bounded = ours && turnMs > 0;
  const lat = loop.latencyMs;
  return {
    label: CONTENDER_LABELS[key],
    users: loop.users,
    completed: loop.completed,
    turnsPerSec: loop.completed / o.durationSeconds,
    idealTurnsPerSec: bounded ? (loop.users * 1000) / turnMs : null,
    maxPossible: bounded ? loop.users * (Math.floor((o.durationSeconds * 1000) / turnMs) + 1) : null,
    latencyMs: lat,
    overheadMs: ours && lat ? { p50: lat.p50 - turnMs, p95: lat.p95 - turnMs, p99: lat.p99 - turnMs } : null,
    errors: loop.errors,
    warmup: loop.warmup,
    unfinished: loop.unfinished,
    peakRssBytes: num(readings.peakRssBytes),
    cpuSeconds: num(readings.cpuSeconds),
    generatorCpuSeconds: num(readings.generatorCpuSeconds),
    mockCpuSeconds: num(readings.mockCpuSeconds),
    loopDelayP99Ms: num(loop.loopDelayP99Ms),
  };
}

/** Failed turns in the window and in the warm-up. */
export const allErrors = (f: ContenderFigures): number => f.errors.total + f.warmup.errors.total;

export const BARS = {
  /** At this level, Swiftlet in-process completes at least as many turns per second as the fetch loop. */
  throughputUsers: 1000,
  /** At this level, the server (or --target) … */
  serverUsers: 10_000,
  /** … fails no turn (warm-up included), */
  errors: 0,
  /** … keeps p99 overhead at or below this, */
  p99OverheadMs: 50,
  /** … and its peak resident memory at or below this. */
  peakRssMb: 300,
} as const;

export interface Bar {
  value: number | null;
  bar: number;
  /** null: not measured (the level was not run, its process failed, or the reading is unknown). */
  met: boolean | null;
}

export interface Bars {
  swiftletVsFetchLoop: {
    users: number;
    swiftletTurnsPerSec: number | null;
    fetchLoopTurnsPerSec: number | null;
    /** swiftlet ÷ fetch loop turns/s; the bar is 1. */
    ratio: number | null;
    met: boolean | null;
  };
  server: {
    users: number;
    contender: 'server' | 'target';
    errors: Bar;
    p99OverheadMs: Bar;
    peakRssMb: Bar;
    /** false when one part is missed; null when none is missed but one is not measured. */
    met: boolean | null;
  };
}

export function judge(levels: { users: number; contenders: Partial<Record<ContenderKey, Run>> }[]): Bars {
  const at = (users: number, key: ContenderKey): ContenderFigures | undefined => {
    const run = levels.find((l) => l.users === users)?.contenders[key];
    return run === undefined || isFailed(run) ? undefined : run;
  };
  const swiftlet = at(BARS.throughputUsers, 'swiftlet');
  const fetchLoop = at(BARS.throughputUsers, 'fetchLoop');
  const ratio =
    swiftlet && fetchLoop && fetchLoop.turnsPerSec > 0 ? swiftlet.turnsPerSec / fetchLoop.turnsPerSec : null;
  const targeted = levels.some((l) => l.contenders.target !== undefined);
  const key = targeted ? 'target' : 'server';
  const s = at(BARS.serverUsers, key);
  const bar = (value: number | null | undefined, limit: number): Bar => ({
    value: value ?? null,
    bar: limit,
    met: value === null || value === undefined ? null : value <= limit,
  });
  const errors = bar(s ? allErrors(s) : null, BARS.errors);
  const p99OverheadMs = bar(s?.overheadMs?.p99, BARS.p99OverheadMs);
  const peak = s?.peakRssBytes;
  const peakRssMb = bar(peak === null || peak === undefined ? null : peak / 1e6, BARS.peakRssMb);
  const parts = [errors.met, p99OverheadMs.met, peakRssMb.met];
  return {
    swiftletVsFetchLoop: {
      users: BARS.throughputUsers,
      swiftletTurnsPerSec: swiftlet?.turnsPerSec ?? null,
      fetchLoopTurnsPerSec: fetchLoop?.turnsPerSec ?? null,
      ratio,
      met: swiftlet && fetchLoop ? swiftlet.turnsPerSec >= fetchLoop.turnsPerSec : null,
    },
    server: {
      users: BARS.serverUsers,
      contender: key,
      errors,
      p99OverheadMs,
      peakRssMb,
      met: parts.includes(false) ? false : parts.includes(null) ? null : true,
    },
  };
}
