// When a target stops keeping up (its knee), and the ratios between targets.
import { quantile } from '../stats.js';

/** A step keeps up when at least this share of the offered rate completes per second… */
export const THROUGHPUT_SHARE = 0.95;
/** …and its p99 stays under the limit `p99Limit` derives from the low-rate p99 (the same limit for every target). */
export const P99_FACTOR = 10;
export const P99_SLACK_MS = 100;
export const KNEE_RATIO_BAR = 0.7;
export const DURABILITY_RATIO_BAR = 0.9;
export const OVERHEAD_BARS = { medianMs: 0.5, p99Ms: 3 };

export type StopReason = 'throughput' | 'p99' | 'steps' | 'budget';

export interface Knee {
  /** The highest offered rate the target kept up with; null when it failed at the first rate. */
  rate: number | null;
  /** True when a step failed (the knee is measured); false when the ladder ended first (the knee is at least `rate`). */
  reached: boolean;
  stoppedBy: StopReason;
  p99LimitMs: number;
}

/**
 * The p99 beyond which latency has "exploded". `lowRateP99Ms` is the median over the targets of their p99 at the low
 * fixed rate; what lies above the LLM's own latency (two calls per turn) may grow P99_FACTOR-fold, and at least by
 * P99_SLACK_MS. One limit for every target, so that a noisy first step cannot give one target a laxer bar.
 */
export function p99Limit(lowRateP99Ms: number, llmLatencyMs: number): number {
  const llm = 2 * llmLatencyMs;
  const own = Math.max(1, lowRateP99Ms - llm);
  return llm + Math.max(P99_FACTOR * own, own + P99_SLACK_MS);
}

/** Why a step did not keep up, or undefined when it did. */
export function failure(
  step: { rate: number; completedPerSec: number; completed: number; p99Ms: number },
  limitMs: number,
): 'throughput' | 'p99' | undefined {
  if (step.completed === 0 || step.completedPerSec < THROUGHPUT_SHARE * step.rate) return 'throughput';
  if (!(step.p99Ms <= limitMs)) return 'p99';
  return undefined;
}

export interface KneeRatio {
  /** knee(a) ÷ knee(b); null when either failed at the first rate. */
  value: number | null;
  /** exact: both knees measured; lower/upper: one side is only a bound (its ladder ended first). */
  bound: 'exact' | 'lower' | 'upper' | 'none';
  bar: number;
  /** null when the bounds cannot tell. */
  meetsBar: boolean | null;
}

export function kneeRatio(a: Knee, b: Knee, bar: number): KneeRatio {
  if (a.rate === null || b.rate === null) {
    // A target that failed at the first rate has a knee below it: only "a failed first" says something for sure.
    const meets = a.rate === null && b.rate !== null ? false : null;
    return { value: null, bound: 'none', bar, meetsBar: meets };
  }
  const value = a.rate / b.rate;
  if (a.reached && b.reached) return { value, bound: 'exact', bar, meetsBar: value >= bar };
  if (a.reached && !b.reached) return { value, bound: 'upper', bar, meetsBar: value < bar ? false : null };
  if (!a.reached && b.reached) return { value, bound: 'lower', bar, meetsBar: value >= bar ? true : null };
  return { value, bound: 'none', bar, meetsBar: null };
}

export interface LatencyFigures {
  n: number;
  medianMs: number;
  p95Ms: number;
  p99Ms: number;
}

export function latencyFigures(samples: readonly number[]): LatencyFigures {
  const sorted = Float64Array.from(samples).sort();
  return {
    n: sorted.length,
    medianMs: quantile(sorted, 0.5),
    p95Ms: quantile(sorted, 0.95),
    p99Ms: quantile(sorted, 0.99),
  };
}

export interface CpuRatio {
  /** Median over the rates both targets kept up with of (floor's server CPU per request ÷ the target's). */
  median: number;
  min: number;
  max: number;
  rates: number[];
}

/**
 * How much server CPU the floor needs per request for each unit the target needs, at the same offered rates. Unlike
 * the knees, it does not depend on what else runs on the machine (the mock, the generator, other programs).
 */
export function cpuRatio(
  target: readonly { rate: number; keptUp: boolean; serverCpuMsPerRequest: number }[],
  floor: readonly { rate: number; keptUp: boolean; serverCpuMsPerRequest: number }[],
): CpuRatio | null {
  const firstKeptUp = (steps: typeof target): Map<number, number> => {
    const m = new Map<number, number>();
    for (const s of steps) if (s.keptUp && !m.has(s.rate)) m.set(s.rate, s.serverCpuMsPerRequest);
    return m;
  };
  const t = firstKeptUp(target);
  const f = firstKeptUp(floor);
  const rates = [...t.keys()].filter((r) => f.has(r) && t.get(r)! > 0);
  if (rates.length === 0) return null;
  const sorted = Float64Array.from(rates.map((r) => f.get(r)! / t.get(r)!)).sort();
  return { median: quantile(sorted, 0.5), min: sorted[0]!, max: sorted.at(-1)!, rates };
}
