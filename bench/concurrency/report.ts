// The table `swiftlet bench concurrency` prints.
import { fmt, mb, table } from '../table.js';
import { allErrors, isFailed, type Bar, type ContenderFigures } from './figures.js';
import type { ErrorCounts } from './loop.js';
import type { ConcurrencyBenchResult } from './scenario.js';

const verdict = (met: boolean | null): string => (met === null ? 'not measured' : met ? 'met' : 'missed');
const kinds = (e: ErrorCounts): string =>
  Object.entries(e.byKind)
    .map(([kind, n]) => `${kind} ×${n}`)
    .join(', ');

export function renderConcurrency(r: ConcurrencyBenchResult): string {
  const p = r.params;
  const where = p.target === null ? `mock LLM ${p.llmLatencyMs} ms per call (two calls per turn)` : p.target;
  const store = p.target === null ? `; server on ${p.store} ${p.durability}, in-process swiftlet on sqlite` : '';
  const out = [
    `concurrency: closed loop per session against ${where}, ${p.durationSeconds} s measured per level${store}`,
    '',
  ];
  const notes: string[] = [];
  // table() right-aligns every column but the first: equal widths keep the contenders' names left-aligned.
  const labels = r.levels.flatMap((l) => Object.values(l.contenders).map((c) => c.label.length));
  const width = Math.max('contender'.length, ...labels);
  const header = ['users', 'contender'.padEnd(width), 'turns/s', '% ideal', 'p50 ms', 'p95 ms', 'p99 ms', 'ovh p99'];
  const rows = [[...header, 'errors', 'peak RSS MB', 'cpu s']];
  for (const level of r.levels) {
    let first = true;
    for (const run of Object.values(level.contenders)) {
      const users = first ? String(level.users) : '';
      first = false;
      const who = `${level.users} ${run.label}`;
      if (isFailed(run)) {
        rows.push([users, run.label.padEnd(width), 'failed', '', '', '', '', '', '', '', '']);
        notes.push(`${who}: ${run.failed}`);
        continue;
      }
      rows.push([
        users,
        run.label.padEnd(width),
        fmt(run.turnsPerSec, 1),
        run.idealTurnsPerSec === null ? '-' : fmt((100 * run.turnsPerSec) / run.idealTurnsPerSec, 1),
        fmt(run.latencyMs?.p50, 1),
        fmt(run.latencyMs?.p95, 1),
        fmt(run.latencyMs?.p99, 1),
        fmt(run.overheadMs?.p99, 1),
        String(allErrors(run)),
        run.peakRssBytes === null ? '-' : mb(run.peakRssBytes),
        fmt(run.cpuSeconds, 2),
      ]);
      notes.push(...runNotes(who, run));
    }
  }
  out.push(...table(rows), '');
  for (const [users, n] of Object.entries(p.modelConnections)) {
    if (p.target === null && n < Number(users)) {
      notes.push(
        `${users} server: ${n} connections to the model (open-file limit ${p.openFileLimit}); more turns wait`,
      );
    }
  }
  if (notes.length > 0) out.push(...notes.map((n) => `  ${n}`), '');
  out.push('bars:', ...barLines(r), '');
  return out.join('\n');
}

function runNotes(who: string, f: ContenderFigures): string[] {
  const notes: string[] = [];
  if (f.errors.total > 0) notes.push(`${who}: errors in the window: ${kinds(f.errors)} (first: ${f.errors.first})`);
  const w = f.warmup;
  if (w.errors.total > 0) notes.push(`${who}: errors in the warm-up: ${kinds(w.errors)} (first: ${w.errors.first})`);
  if (!w.complete) {
    notes.push(`${who}: the window opened after ${fmt(w.ms / 1000, 1)} s with ${w.warmed}/${f.users} sessions warmed`);
  }
  if (f.unfinished > 0) notes.push(`${who}: ${f.unfinished} turns still running when the run stopped waiting`);
  if (f.generatorCpuSeconds !== null) {
    notes.push(
      `${who}: load generator ${fmt(f.generatorCpuSeconds, 2)} cpu s, event-loop delay p99 ` +
        `${fmt(f.loopDelayP99Ms, 1)} ms; mock ${fmt(f.mockCpuSeconds, 2)} cpu s`,
    );
  } else if (f.mockCpuSeconds !== null) {
    notes.push(`${who}: event-loop delay p99 ${fmt(f.loopDelayP99Ms, 1)} ms; mock ${fmt(f.mockCpuSeconds, 2)} cpu s`);
  }
  return notes;
}

function barLines(r: ConcurrencyBenchResult): string[] {
  const { swiftletVsFetchLoop: t, server: s } = r.bars;
  const lines: string[] = [];
  if (r.params.target === null) {
    const got =
      t.met === null
        ? ''
        : `${fmt(t.swiftletTurnsPerSec, 1)} vs ${fmt(t.fetchLoopTurnsPerSec, 1)} turns/s (${fmt(t.ratio, 2)}×): `;
    lines.push(`  ${t.users} users: swiftlet turns/s ≥ the fetch loop's: ${got}${verdict(t.met)}`);
  }
  const part = (name: string, b: Bar, unit: string, digits: number): string =>
    `${name} ${b.bar}${unit}${b.value === null ? '' : ` (${fmt(b.value, digits)})`} ${verdict(b.met)}`;
  lines.push(
    `  ${s.users} users, ${s.contender}: ` +
      [
        part('errors =', s.errors, '', 0),
        part('p99 overhead ≤', s.p99OverheadMs, ' ms', 1),
        part('peak RSS ≤', s.peakRssMb, ' MB', 1),
      ].join('; ') +
      ` → ${verdict(s.met)}`,
  );
  return lines;
}
