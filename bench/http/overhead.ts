// Per-request overhead at a low fixed rate, where nothing queues: each target's latency quantiles next to the floor's.
// The targets take turns in 1 s blocks (A, B, C, A, B, C…) so that drift and background noise hit them alike.
import { OVERHEAD_BARS, latencyFigures, type LatencyFigures } from './judge.js';
import type { Loadgen } from './processes.js';
import { TARGET_LABELS, type Target, type TargetKey } from './targets.js';

export interface OverheadResult {
  rate: number;
  secondsPerTarget: number;
  targets: Partial<Record<TargetKey, LatencyFigures & { offered: number; errors: number }>>;
  /** Quantile differences: the target's median (p99) minus the floor's median (p99). */
  minusFloor: Partial<Record<Exclude<TargetKey, 'floor'>, { medianMs: number; p99Ms: number }>>;
  bars: { medianMs: number; p99Ms: number };
  /** The native API against the bars. */
  meetsBars: boolean;
}

export async function measureOverhead(
  loadgen: Loadgen,
  targets: readonly Target[],
  o: { overheadRate: number; overheadSeconds: number; graceMs: number; progress: (line: string) => void },
): Promise<OverheadResult> {
  const samples = new Map<TargetKey, number[]>();
  const counts = new Map<TargetKey, { offered: number; errors: number }>();
  for (const t of targets) {
    samples.set(t.key, []);
    counts.set(t.key, { offered: 0, errors: 0 });
  }
  for (let round = 1; round <= o.overheadSeconds; round++) {
    for (const t of targets) {
      o.progress(`http: overhead at ${o.overheadRate}/s, round ${round}/${o.overheadSeconds}, ${TARGET_LABELS[t.key]}`);
      const r = await loadgen.step({
        target: t.load.name,
        rate: o.overheadRate,
        seconds: 1,
        graceMs: o.graceMs,
        slackMs: o.graceMs,
        samples: true,
      });
      samples.get(t.key)!.push(...(r.samplesMs ?? []));
      const c = counts.get(t.key)!;
      c.offered += r.offered;
      c.errors += r.offered - r.completed;
    }
  }
  const figures: OverheadResult['targets'] = {};
  for (const t of targets) figures[t.key] = { ...latencyFigures(samples.get(t.key)!), ...counts.get(t.key)! };
  // No floor with --target: latency only, nothing to subtract.
  const floor = figures.floor;
  const minusFloor: OverheadResult['minusFloor'] = {};
  for (const t of targets) {
    if (t.key === 'floor' || floor === undefined) continue;
    const f = figures[t.key]!;
    minusFloor[t.key] = { medianMs: f.medianMs - floor.medianMs, p99Ms: f.p99Ms - floor.p99Ms };
  }
  const native = minusFloor.native;
  return {
    rate: o.overheadRate,
    secondsPerTarget: o.overheadSeconds,
    targets: figures,
    minusFloor,
    bars: OVERHEAD_BARS,
    meetsBars: native !== undefined && native.medianMs <= OVERHEAD_BARS.medianMs && native.p99Ms <= OVERHEAD_BARS.p99Ms,
  };
}
