// The `http` scenario's table.
import { fmt, mb, table } from '../table.js';
import type { KneeRatio } from './judge.js';
import type { HttpBenchResult } from './scenario.js';
import { TARGET_LABELS, type TargetKey } from './targets.js';

export function renderHttp(r: HttpBenchResult): string {
  const p = r.params;
  const m = r.machine;
  const lines = [
    `http: open loop, ${p.stepSeconds} s steps from ${p.rateStart}/s by +${p.rateStep}/s (at most ${p.steps}); ` +
      (p.target === null
        ? `mock LLM latency ${p.llmLatencyMs} ms; store ${p.store} ${p.durability}; `
        : `against ${p.target} (its own model, store and limits; no floor); `) +
      `${p.sessions} sessions per target`,
    `machine: ${m.nproc} CPU(s) ${m.cpu}, node ${m.node}; load average ${m.loadavgStart.join(' ')} at start, ` +
      `${m.loadavgEnd.join(' ')} at end`,
    '',
    `overhead at ${r.overhead.rate}/s (${r.overhead.secondsPerTarget} s per target, interleaved), latency in ms:`,
  ];
  const keys = Object.keys(r.targets) as TargetKey[];
  const floor = r.overhead.targets.floor !== undefined;
  const oh: string[][] = [
    ['target', 'requests', 'errors', 'median', 'p95', 'p99', ...(floor ? ['− floor median', '− floor p99'] : [])],
  ];
  for (const k of keys) {
    const f = r.overhead.targets[k];
    if (!f) continue;
    const d = k === 'floor' ? undefined : r.overhead.minusFloor[k];
    oh.push([
      TARGET_LABELS[k],
      String(f.offered),
      String(f.errors),
      fmt(f.medianMs, 2),
      fmt(f.p95Ms, 2),
      fmt(f.p99Ms, 2),
      ...(floor ? [d ? fmt(d.medianMs, 2) : '', d ? fmt(d.p99Ms, 2) : ''] : []),
    ]);
  }
  lines.push(...table(oh), '', 'rising rate:');
  const rows: string[][] = [
    [
      'target',
      'offered/s',
      'completed/s',
      'errors',
      'p50 ms',
      'p95 ms',
      'p99 ms',
      'cpu s',
      'cpu ms/req',
      'rss MB',
      'heap MB',
      'failed on',
    ],
  ];
  for (const k of keys) {
    const steps = r.targets[k]!.steps;
    for (const [i, s] of steps.entries()) {
      const repeated = steps[i + 1]?.rate === s.rate;
      rows.push([
        TARGET_LABELS[k],
        String(s.rate),
        fmt(s.completedPerSec, 0),
        String(s.errors),
        fmt(s.p50Ms, 2),
        fmt(s.p95Ms, 2),
        fmt(s.p99Ms, 2),
        fmt(s.serverCpuSeconds, 2),
        fmt(s.serverCpuMsPerRequest, 3),
        mb(s.rssBytes),
        mb(s.heapUsedBytes),
        s.keptUp ? '' : `${s.failedOn ?? ''}${repeated ? ', run again' : ''}`,
      ]);
    }
  }
  lines.push(...table(rows), '');
  const limit = r.targets.native?.knee.p99LimitMs;
  lines.push(`p99 limit for every target: ${fmt(limit, 1)} ms`);
  for (const k of keys) {
    const knee = r.targets[k]!.knee;
    const at =
      knee.rate === null
        ? `below ${p.rateStart}/s`
        : knee.reached
          ? `${knee.rate}/s (the next rate failed on ${knee.stoppedBy})`
          : `≥ ${knee.rate}/s (not reached: the ladder ended, ${knee.stoppedBy})`;
    lines.push(`knee ${TARGET_LABELS[k]}: ${at}`);
  }
  if (r.ratios.nativeToFloor) lines.push(ratioLine('knee(native) ÷ knee(floor)', r.ratios.nativeToFloor));
  if (r.ratios.durableToRelaxed) lines.push(ratioLine('knee(durable) ÷ knee(relaxed)', r.ratios.durableToRelaxed));
  for (const [name, c] of [
    ['native', r.ratios.cpuFloorToNative],
    ['openai', r.ratios.cpuFloorToOpenai],
  ] as const) {
    if (c) {
      lines.push(
        `server CPU per request, floor ÷ ${name}: ${fmt(c.median, 2)} (${fmt(c.min, 2)}–${fmt(c.max, 2)} over ` +
          `${c.rates.length} rates both kept up with)`,
      );
    }
  }
  const d = r.overhead.minusFloor.native;
  const b = r.overhead.bars;
  if (d) {
    lines.push(
      `overhead native − floor at ${r.overhead.rate}/s: median ${fmt(d.medianMs, 2)} ms (bar ≤ ${b.medianMs}), ` +
        `p99 ${fmt(d.p99Ms, 2)} ms (bar ≤ ${b.p99Ms}) — ${r.overhead.meetsBars ? 'meets the bars' : 'MISSES a bar'}`,
    );
  }
  lines.push('see `swiftlet bench --help` for what each figure means');
  return lines.join('\n') + '\n';
}

function ratioLine(name: string, q: KneeRatio): string {
  const bound = { exact: '', lower: 'at least ', upper: 'at most ', none: '' }[q.bound];
  const verdict = q.meetsBar === null ? 'cannot tell against' : q.meetsBar ? 'meets' : 'BELOW';
  return `${name}: ${q.value === null ? '-' : bound + fmt(q.value, 2)} — ${verdict} the bar (≥ ${q.bar})`;
}
