// The result of `bench:peers` (also its JSON) and one plain-text table per workload, contenders as rows.
import type { DepsSize } from '../deps-size.js';
import type { Machine } from '../proc.js';
import type { Spread } from '../stats.js';
import { fmt, mb, table } from '../table.js';
import type { ConcurrencyRunResult, SessionsRunResult, TurnRunResult } from './protocol.js';

export const WORKLOAD_KEYS = ['size', 'start', 'turn', 'sessions', 'concurrency'] as const;
export type WorkloadKey = (typeof WORKLOAD_KEYS)[number];

/** A contender's figures for one workload, or why it has none. */
export type Outcome<T> = T | { error: string };

export interface StartOutcome {
  spawnToFirstTurnMs: Spread;
  samplesMs: number[];
  /** The child's own clock (from its process start): contender module loaded; first turn completed. */
  childImportedMs?: Spread;
  childFirstTurnMs?: Spread;
}

export interface TurnOutcome {
  medianMs: Spread;
  p95Ms: Spread;
  p99Ms: Spread;
  turnsPerSec: Spread;
  completed: number;
  failed: number;
  runs: TurnRunResult[];
}

export type ConcurrencyOutcome = ConcurrencyRunResult & { peakRssBytes: number };

export interface Params {
  /** Swiftlet's provider pool (`maxConnections`) when set by --swiftlet-connections; else its default, 64, and in the
   *  concurrency workload one connection per session in flight (as `swiftlet bench concurrency` configures it). */
  swiftletConnections?: number;
  turn: { runs: number; warmup: number; turns: number; sessions: number };
  concurrency: { sessions: number; warmupMs: number; durationMs: number; latencyMs: number };
  sessions: { sessions: number; warmup: number };
  /** warmStart: one unmeasured start first (off with --quick). */
  start: { runs: number; warmStart: boolean };
}

export interface PeersResult {
  version: 1;
  startedAt: string;
  durationMs: number;
  machine: Machine;
  params: Params;
  /** Installed versions of every package a contender is built from, plus Swiftlet's and Node's. */
  versions: Record<string, string>;
  contenders: Record<string, { label: string; packages: readonly string[]; history: string }>;
  installError?: string;
  workloads: Partial<Record<WorkloadKey, Record<string, Outcome<unknown>>>>;
}

const isError = (o: Outcome<unknown> | undefined): o is { error: string } =>
  typeof o === 'object' && o !== null && 'error' in o;

const range = (s: Spread, digits: number): string =>
  s.min === s.max ? fmt(s.median, digits) : `${fmt(s.median, digits)} (${fmt(s.min, digits)}–${fmt(s.max, digits)})`;

const ratio = (v: number, base: number | undefined): string =>
  base === undefined || !Number.isFinite(base) || base === 0 ? '-' : `${fmt(v / base, 2)}×`;

const kb = (bytes: number): string => fmt(bytes / 1024, 1);

function failedRow(label: string, o: { error: string }): string[] {
  const text = o.error.replace(/\s+/g, ' ');
  return [label, `FAILED: ${text.length > 300 ? `${text.slice(0, 297)}…` : text}`];
}

/** Failures are printed under the table (an error text in a cell would stretch its column); the JSON has them whole. */
function render(header: string[], rows: string[][], errors: string[][], notes: string[]): string {
  const lines = [...table([header, ...rows])];
  for (const e of errors) lines.push(`${e[0]}: ${e[1]}`);
  return [...lines, ...notes.map((n) => `  ${n}`)].join('\n');
}

export function renderReport(r: PeersResult, w: WorkloadKey): string {
  const outcomes = r.workloads[w] ?? {};
  const label = (k: string): string => r.contenders[k]?.label ?? k;
  const keys = Object.keys(outcomes);
  const errors: string[][] = [];
  const rows: string[][] = [];
  const ok = <T>(k: string): T | undefined => {
    const o = outcomes[k];
    if (isError(o)) {
      errors.push(failedRow(label(k), o));
      return undefined;
    }
    return o as T;
  };
  const base = <T>(pick: (o: T) => number): number | undefined => {
    const o = outcomes.swiftlet;
    return o === undefined || isError(o) ? undefined : pick(o as T);
  };
  const p = r.params;
  switch (w) {
    case 'size': {
      const b = base<DepsSize>((o) => o.diskBytes);
      for (const k of keys) {
        const o = ok<DepsSize>(k);
        if (o === undefined) continue;
        const largest = o.largest
          .slice(0, 3)
          .map((x) => `${x.name} ${mb(x.diskBytes)}`)
          .join(', ');
        rows.push([label(k), String(o.packages), mb(o.diskBytes), mb(o.apparentBytes), ratio(o.diskBytes, b), largest]);
      }
      return render(['size', 'packages', 'disk MB', 'apparent MB', '÷ swiftlet', 'largest (disk MB)'], rows, errors, [
        "= production install: the contender's package closure on disk (Swiftlet: its prod dependencies + its own files).",
      ]);
    }
    case 'start': {
      const b = base<StartOutcome>((o) => o.spawnToFirstTurnMs.median);
      for (const k of keys) {
        const o = ok<StartOutcome>(k);
        if (o === undefined) continue;
        rows.push([
          label(k),
          range(o.spawnToFirstTurnMs, 0),
          o.childImportedMs ? ratio(o.spawnToFirstTurnMs.median, b) : '',
          o.childImportedMs ? fmt(o.childImportedMs.median, 0) : '',
          o.childFirstTurnMs ? fmt(o.childFirstTurnMs.median, 0) : '',
        ]);
      }
      return render(['start', 'spawn → first turn ms', '÷ swiftlet', 'loaded at ms', 'turn done at ms'], rows, errors, [
        `median (min–max) of ${p.start.runs} start(s)${p.start.warmStart ? ' after one unmeasured start' : ''}; mock latency 0; every contender runs`,
        'through tsx (TypeScript from source), as the `node --import tsx -e 0` row shows; "loaded at" / "turn done',
        'at" are the child\'s own clock from its process start.',
      ]);
    }
    case 'turn': {
      const b = base<TurnOutcome>((o) => o.medianMs.median);
      for (const k of keys) {
        const o = ok<TurnOutcome>(k);
        if (o === undefined) continue;
        rows.push([
          label(k),
          range(o.medianMs, 3),
          range(o.p95Ms, 3),
          range(o.p99Ms, 3),
          range(o.turnsPerSec, 0),
          ratio(o.medianMs.median, b),
          `${o.completed}${o.failed > 0 ? ` (${o.failed} failed)` : ''}`,
        ]);
        const firstError = o.runs.find((x) => x.firstError !== undefined)?.firstError;
        if (firstError !== undefined) errors.push([label(k), `first failure: ${firstError}`]);
      }
      return render(['turn', 'ms/turn median', 'p95', 'p99', 'turns/s', '÷ swiftlet', 'completed'], rows, errors, [
        `median (min–max) over ${p.turn.runs} run(s), each a fresh process: ${p.turn.warmup} warm-up + ${p.turn.turns} ` +
          `measured sequential turns over ${p.turn.sessions} sessions; mock latency 0; two model calls per turn.`,
      ]);
    }
    case 'sessions': {
      const b = base<SessionsRunResult>((o) => o.bytesPerSession);
      for (const k of keys) {
        const o = ok<SessionsRunResult>(k);
        if (o === undefined) continue;
        rows.push([
          label(k),
          kb(o.bytesPerSession),
          ratio(o.bytesPerSession, b),
          mb(o.heapBeforeBytes),
          mb(o.heapAfterBytes),
        ]);
      }
      return render(['sessions', 'KB heap/session', '÷ swiftlet', 'heap before MB', 'heap after MB'], rows, errors, [
        `${p.sessions.sessions} new sessions, one turn each, after ${p.sessions.warmup} warm-up sessions; data heap ` +
          'after forced GCs (--expose-gc, code spaces left out).',
        'Swiftlet holds every session in its hot cache (hotCacheMb 1024) and also stores it; heap excludes native memory.',
      ]);
    }
    case 'concurrency': {
      const b = base<ConcurrencyOutcome>((o) => o.turnsPerSec);
      for (const k of keys) {
        const o = ok<ConcurrencyOutcome>(k);
        if (o === undefined) continue;
        rows.push([
          label(k),
          fmt(o.turnsPerSec, 0),
          ratio(o.turnsPerSec, b),
          fmt(o.medianMs, 1),
          fmt(o.p99Ms, 1),
          fmt(o.cpuMsPerTurn, 2),
          mb(o.peakRssBytes),
          `${o.completed}${o.failed > 0 ? ` (${o.failed} failed)` : ''}`,
        ]);
        if (o.firstError !== undefined) errors.push([label(k), `first failure: ${o.firstError}`]);
      }
      const c = p.concurrency;
      return render(
        ['concurrency', 'turns/s', '÷ swiftlet', 'median ms', 'p99 ms', 'cpu ms/turn', 'peak RSS MB', 'completed'],
        rows,
        errors,
        [
          `${c.sessions} sessions in flight, each running turns back to back; mock latency ${c.latencyMs} ms per call ` +
            `(2 calls per turn); ${c.warmupMs / 1000} s warm-up, then ${c.durationMs / 1000} s measured.`,
          `Swiftlet sends its model calls over a pool of ${p.swiftletConnections ?? `${c.sessions} (maxConnections raised to one per session)`} ` +
            'connections; the others use the global fetch dispatcher, which has no per-origin cap.',
          'peak RSS: the child process over its whole life, read from /proc every 100 ms. One mock process serves',
          "all; on a small machine it can be the bottleneck (cpu ms/turn is the contender's own cost).",
        ],
      );
    }
  }
}
