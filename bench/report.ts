// Human output: a progress line for terminals and the final table.
import { CONTENDER_LABELS, type ContenderKey } from './contender.js';
import type { Spread } from './stats.js';
import type { TurnBenchResult, TurnProgress } from './turn.js';

const KEYS: readonly ContenderKey[] = ['swiftlet', 'fetchLoop', 'floor'];

export function progressLine(p: TurnProgress): string {
  if (p.phase === 'memory') return `turn: measuring memory per session (child process)…`;
  const parts = KEYS.map((k) => `${CONTENDER_LABELS[k]} ${p.done[k]}/${p.of}`).join('  ');
  return `turn: run ${p.run}/${p.runs} ${p.phase.padEnd(7)} ${parts}`;
}

const fmt = (v: number, digits: number): string => (Number.isFinite(v) ? v.toFixed(digits) : '-');
const withRange = (s: Spread, digits: number): string =>
  s.min === s.max ? fmt(s.median, digits) : `${fmt(s.median, digits)} (${fmt(s.min, digits)}–${fmt(s.max, digits)})`;

function kb(bytes: number): string {
  return Math.abs(bytes) >= 1024 ? `${(bytes / 1024).toFixed(1)} KB` : `${bytes} B`;
}

export function renderTable(r: TurnBenchResult): string {
  const p = r.params;
  const lines = [
    `turn: ${p.turns} turns × ${p.runs} run(s) per contender after ${p.warmup} warm-up turns; ${p.sessions} session(s); ` +
      `store ${p.store} ${p.durability}; mock LLM in its own process, latency 0`,
    `machine: ${r.machine.nproc} CPU(s) ${r.machine.cpu}, node ${r.machine.node}`,
    '',
  ];
  const rows: string[][] = [
    ['contender', 'ms/turn median', 'p95', 'p99', 'turns/s', '÷ floor', 'cpu ms/turn', 'completed'],
  ];
  for (const k of KEYS) {
    const c = r.contenders[k];
    const ratio =
      k === 'floor' ? '1' : withRange(k === 'swiftlet' ? r.ratios.swiftletToFloor : r.ratios.fetchLoopToFloor, 2);
    rows.push([
      c.label,
      withRange(c.medianMs, 3),
      withRange(c.p95Ms, 3),
      withRange(c.p99Ms, 3),
      withRange(c.turnsPerSec, 0),
      ratio,
      withRange(c.cpuMsPerTurn, 3),
      `${c.completed}/${c.offered}`,
    ]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  for (const row of rows)
    lines.push(row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  '));
  lines.push('');
  lines.push(
    `swiftlet ÷ floor: ${fmt(r.ratios.swiftletToFloor.median, 2)} — ` +
      (r.ratios.meetsBar ? `meets the bar (≤ ${r.ratios.bar})` : `ABOVE the bar of ${r.ratios.bar}`),
  );
  const m = r.memory;
  if (m) {
    lines.push(
      `heap per hot session: ${kb(m.hotBytesPerSession)} (hot cache accounts ${kb(m.hotAccountedBytesPerSession)}); ` +
        `fetch loop Map: ${kb(m.fetchLoopBytesPerSession)}; per stored session: ${kb(m.storedBytesPerSession)} ` +
        `(${m.sessions} sessions, one turn each)`,
    );
  }
  lines.push('values: median over runs (min–max); see `swiftlet bench --help` for what each figure means');
  return lines.join('\n') + '\n';
}
