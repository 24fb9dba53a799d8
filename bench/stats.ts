// Latency summaries. Quantiles use the nearest-rank method on the sorted samples (no interpolation), so a reported
// p99 is a turn that really took that long.

export interface LatencySummary {
  /** Completed turns measured. */
  n: number;
  medianMs: number;
  p95Ms: number;
  p99Ms: number;
  meanMs: number;
  /** Sequential throughput: completed turns per second of this contender's own measured time. */
  turnsPerSec: number;
}

export interface Spread {
  median: number;
  min: number;
  max: number;
}

/** Nearest-rank quantile of ascending `sorted` (q in [0, 1]); NaN when empty. */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil(q * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

export function summarize(samplesMs: ArrayLike<number>): LatencySummary {
  const sorted = Float64Array.from(samplesMs).sort();
  let total = 0;
  for (const v of sorted) total += v;
  const n = sorted.length;
  return {
    n,
    medianMs: quantile(sorted, 0.5),
    p95Ms: quantile(sorted, 0.95),
    p99Ms: quantile(sorted, 0.99),
    meanMs: n === 0 ? Number.NaN : total / n,
    turnsPerSec: total === 0 ? Number.NaN : (n * 1000) / total,
  };
}

/** Median, min and max of per-run values. */
export function spread(values: readonly number[]): Spread {
  const sorted = Float64Array.from(values).sort();
  return { median: quantile(sorted, 0.5), min: sorted[0] ?? Number.NaN, max: sorted.at(-1) ?? Number.NaN };
}
