// The workloads as a child runs them against one contender. Counts are of completed turns (the contender's `turn`
// resolved true: the final text was FINAL_TEXT); timestamps are taken here, outside the contender.
import { setImmediate as tick, setTimeout as sleep } from 'node:timers/promises';
import { getHeapSpaceStatistics } from 'node:v8';
import { quantile, summarize } from '../stats.js';
import { sessionFor, turnInput } from '../workload.js';
import type { SessionContender } from './contenders/types.js';
import type {
  ConcurrencyParams,
  ConcurrencyRunResult,
  SessionsParams,
  SessionsRunResult,
  TurnParams,
  TurnRunResult,
} from './protocol.js';

const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** One turn: true when it completed as scripted; a throw is a failed turn, its message kept in `errors`. */
async function attempt(c: SessionContender, sessionId: string, input: string, errors: string[]): Promise<boolean> {
  try {
    if (await c.turn(sessionId, input)) return true;
    if (errors.length === 0) errors.push('a turn ended without the scripted final answer');
  } catch (err) {
    if (errors.length === 0) errors.push(message(err));
  }
  return false;
}

/** Sequential turns over `sessions` rotating sessions: warm-up, then each measured turn timed on its own. */
export async function runTurns(c: SessionContender, p: TurnParams): Promise<TurnRunResult> {
  const errors: string[] = [];
  for (let i = 0; i < p.warmup; i++) {
    if (!(await attempt(c, sessionFor(i, p.sessions), turnInput(i), errors)))
      throw new Error(`warm-up turn ${i} failed: ${errors[0]}`);
  }
  const samples: number[] = [];
  let failed = 0;
  for (let i = p.warmup; i < p.warmup + p.turns; i++) {
    const t0 = performance.now();
    const ok = await attempt(c, sessionFor(i, p.sessions), turnInput(i), errors);
    const ms = performance.now() - t0;
    if (ok) samples.push(ms);
    else failed++;
  }
  const s = summarize(samples);
  return {
    n: s.n,
    failed,
    medianMs: s.medianMs,
    p95Ms: s.p95Ms,
    p99Ms: s.p99Ms,
    meanMs: s.meanMs,
    turnsPerSec: s.turnsPerSec,
    ...(errors[0] === undefined ? {} : { firstError: errors[0] }),
  };
}

/**
 * Closed loop: `sessions` sessions each run turns back to back. Turns that end inside the measured window (opened
 * after the warm-up, closed `durationMs` later, both by timers whose actual firing times bound the window) count.
 */
export async function runConcurrency(c: SessionContender, p: ConcurrencyParams): Promise<ConcurrencyRunResult> {
  const errors: string[] = [];
  const latencies: number[] = [];
  let from = Number.POSITIVE_INFINITY;
  let to = Number.POSITIVE_INFINITY;
  let stop = false;
  let completed = 0;
  let failed = 0;
  let cpuFrom: NodeJS.CpuUsage | undefined;
  let cpu: NodeJS.CpuUsage | undefined;
  const opened = setTimeout(() => {
    from = performance.now();
    cpuFrom = process.cpuUsage();
    setTimeout(() => {
      to = performance.now();
      cpu = process.cpuUsage(cpuFrom);
      stop = true;
    }, p.durationMs);
  }, p.warmupMs);
  const loop = async (s: number): Promise<void> => {
    const sessionId = `conc-${s}`;
    for (let k = 0; !stop; k++) {
      const t0 = performance.now();
      const ok = await attempt(c, sessionId, turnInput(k), errors);
      const t1 = performance.now();
      if (t1 < from || t1 > to) continue;
      if (ok) {
        completed++;
        latencies.push(t1 - t0);
      } else failed++;
    }
  };
  const loops = Array.from({ length: p.sessions }, (_, s) => loop(s));
  const drained = Promise.all(loops);
  // Turns in flight when the window closes finish; a contender that never finishes them is an error, not a figure.
  const deadline = p.warmupMs + p.durationMs + 120_000;
  const timedOut = await Promise.race([drained.then(() => false), sleep(deadline, true, { ref: false })]);
  clearTimeout(opened);
  if (timedOut || cpu === undefined) throw new Error(`the sessions did not finish within ${deadline} ms`);
  const windowMs = to - from;
  const sorted = Float64Array.from(latencies).sort();
  return {
    sessions: p.sessions,
    windowMs,
    completed,
    failed,
    turnsPerSec: (completed * 1000) / windowMs,
    medianMs: quantile(sorted, 0.5),
    p99Ms: quantile(sorted, 0.99),
    cpuMsPerTurn: completed === 0 ? Number.NaN : (cpu.user + cpu.system) / 1000 / completed,
    ...(errors[0] === undefined ? {} : { firstError: errors[0] }),
  };
}

/**
 * Heap held per session, as bench/memory.ts measures Swiftlet's: in a process started with --expose-gc and
 * --no-flush-bytecode, `warmup` new sessions take the one-off costs, then `sessions` new sessions run one turn each;
 * the growth of the data heap (code spaces left out) after full collections, divided by `sessions`.
 */
export async function runSessions(c: SessionContender, p: SessionsParams): Promise<SessionsRunResult> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('the sessions workload needs node --expose-gc');
  const heap = async (): Promise<number> => {
    // Work a contender defers past the end of its turn (saving messages, closing spans) settles first.
    await sleep(100);
    for (let i = 0; i < 3; i++) {
      gc();
      await tick();
    }
    return dataHeapUsed();
  };
  const errors: string[] = [];
  const turn = async (sessionId: string, i: number): Promise<void> => {
    if (!(await attempt(c, sessionId, turnInput(i), errors)))
      throw new Error(`turn of session ${sessionId} failed: ${errors[0]}`);
  };
  for (let i = 0; i < p.warmup; i++) await turn(`warm-${i}`, i);
  const before = await heap();
  for (let i = 0; i < p.sessions; i++) await turn(`mem-${i}`, i);
  const after = await heap();
  return {
    sessions: p.sessions,
    warmup: p.warmup,
    heapBeforeBytes: before,
    heapAfterBytes: after,
    bytesPerSession: Math.round((after - before) / p.sessions),
  };
}

/** heapUsed without the code spaces: code optimised during the measurement is not session data. */
function dataHeapUsed(): number {
  let used = 0;
  for (const space of getHeapSpaceStatistics()) {
    if (!space.space_name.startsWith('code_')) used += space.space_used_size;
  }
  return used;
}
