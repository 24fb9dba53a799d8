// The closed loop of the `concurrency` scenario: each of C sessions runs turns back to back (its next turn starts when
// the last one ended), the sessions' first turns spread evenly over `spreadMs`. The measured window opens when every
// session has ended its first turn (the warm-up), or at `warmupCapMs` if some have not, and lasts `durationMs`; a
// turn belongs to the phase in which it ended. Runs in the process that times the turns (the load generator, or the
// in-process contender's own process).
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { quantile } from '../stats.js';

export interface LoopParams {
  users: number;
  /** The first turns start at i × spreadMs / users. */
  spreadMs: number;
  durationMs: number;
  /** After a failed turn a session waits this long before its next one (no tight loop against a failing server). */
  errorPauseMs: number;
  warmupCapMs: number;
  /** After the window, how long turns still running may take before the loop stops waiting for them. */
  drainMs: number;
}

/** One turn of session `session` (0 … users − 1), the `k`-th turn overall: true, or the kind of failure. */
export type TurnFn = (session: number, k: number) => Promise<true | string>;

export type LoopEvent =
  | { event: 'warmup'; warmed: number }
  | { event: 'window'; phase: 'start' | 'end' }
  | { event: 'result'; result: LoopResult };

export interface ErrorCounts {
  total: number;
  byKind: Record<string, number>;
  /** The first failure's message, when there was one. */
  first?: string;
}

export interface LoopResult {
  users: number;
  warmup: {
    ms: number;
    /** Sessions whose first turn had ended when the window opened. */
    warmed: number;
    complete: boolean;
    errors: ErrorCounts;
  };
  /** Turns that ended as expected inside the window. */
  completed: number;
  errors: ErrorCounts;
  /** Latency of the completed turns, ms; null when none completed. */
  latencyMs: { p50: number; p95: number; p99: number; max: number; min: number } | null;
  /** Turns still running `drainMs` after the window closed (neither completed nor errors). */
  unfinished: number;
  /** Event-loop delay p99 of the timing process during the window, ms: high means its timestamps lag. */
  loopDelayP99Ms: number;
}

/** A thrown error as a failure kind and message: `timeout`, `network ECONNRESET`, `exception TypeError`… */
export function failureOf(err: unknown): { kind: string; message: string } {
  const e = err as { code?: unknown; name?: unknown; message?: unknown } | null;
  const code = typeof e?.code === 'string' ? e.code : undefined;
  const message = typeof e?.message === 'string' ? e.message : String(err);
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') return { kind: 'timeout', message };
  if (code !== undefined && /^(E[A-Z]+|UND_ERR_[A-Z_]+)$/.test(code)) return { kind: `network ${code}`, message };
  return { kind: `exception ${code ?? (typeof e?.name === 'string' ? e.name : 'error')}`, message };
}

/** The histogram's readings include its own sampling interval, which is taken off again. */
const LOOP_DELAY_RESOLUTION_MS = 10;

class Errors {
  readonly counts: ErrorCounts = { total: 0, byKind: {} };
  add(kind: string, message: string): void {
    this.counts.total++;
    this.counts.byKind[kind] = (this.counts.byKind[kind] ?? 0) + 1;
    this.counts.first ??= message === kind ? kind : `${kind}: ${message}`;
  }
}

export async function closedLoop(p: LoopParams, turn: TurnFn, emit: (e: LoopEvent) => void): Promise<LoopResult> {
  const latencies: number[] = [];
  const warmupErrors = new Errors();
  const windowErrors = new Errors();
  const delay = monitorEventLoopDelay({ resolution: LOOP_DELAY_RESOLUTION_MS });
  let completed = 0;
  let warmed = 0;
  let k = 0;
  let warmedAtOpen = 0;
  let windowStart = Number.NaN;
  let windowEnd = Number.POSITIVE_INFINITY;
  let stopping = false;
  let closeWindow!: () => void;
  const windowClosed = new Promise<void>((resolve) => (closeWindow = resolve));

  const t0 = performance.now();
  const openWindow = (): void => {
    if (!Number.isNaN(windowStart)) return;
    clearTimeout(cap);
    clearInterval(progress);
    windowStart = performance.now();
    warmedAtOpen = warmed;
    windowEnd = windowStart + p.durationMs;
    delay.enable();
    emit({ event: 'window', phase: 'start' });
    setTimeout(() => {
      stopping = true;
      delay.disable();
      emit({ event: 'window', phase: 'end' });
      closeWindow();
    }, p.durationMs);
  };
  const cap = setTimeout(openWindow, p.warmupCapMs);
  const progress = setInterval(() => emit({ event: 'warmup', warmed }), 500);

  const session = async (i: number): Promise<void> => {
    const due = t0 + (i * p.spreadMs) / p.users - performance.now();
    if (due > 0) await sleep(due);
    let first = true;
    while (!stopping) {
      const start = performance.now();
      let outcome: true | string;
      let message = '';
      try {
        outcome = await turn(i, k++);
        if (outcome !== true) message = outcome;
      } catch (err) {
        ({ kind: outcome, message } = failureOf(err));
      }
      const end = performance.now();
      if (end >= windowStart && end <= windowEnd) {
        if (outcome === true) {
          completed++;
          latencies.push(end - start);
        } else windowErrors.add(outcome, message);
      } else if (Number.isNaN(windowStart) && outcome !== true) warmupErrors.add(outcome, message);
      if (first) {
        first = false;
        if (++warmed === p.users) openWindow();
      }
      if (outcome !== true && !stopping) await sleep(p.errorPauseMs);
    }
  };

  let running = p.users;
  const sessions = Array.from({ length: p.users }, (_, i) => session(i).finally(() => running--));
  await windowClosed;
  const warmupMs = windowStart - t0;
  const drained = new AbortController();
  await Promise.race([
    Promise.allSettled(sessions).then(() => drained.abort()),
    sleep(p.drainMs, undefined, { signal: drained.signal }).catch(() => undefined),
  ]);
  drained.abort();

  const sorted = Float64Array.from(latencies).sort();
  return {
    users: p.users,
    warmup: { ms: warmupMs, warmed: warmedAtOpen, complete: warmedAtOpen === p.users, errors: warmupErrors.counts },
    completed,
    errors: windowErrors.counts,
    latencyMs:
      sorted.length === 0
        ? null
        : {
            p50: quantile(sorted, 0.5),
            p95: quantile(sorted, 0.95),
            p99: quantile(sorted, 0.99),
            max: sorted.at(-1)!,
            min: sorted[0]!,
          },
    unfinished: running,
    loopDelayP99Ms: delay.count === 0 ? Number.NaN : Math.max(0, delay.percentile(99) / 1e6 - LOOP_DELAY_RESOLUTION_MS),
  };
}
