// What the runner tells a child process (in an environment variable) and what the child answers (one JSON line on
// stdout). Kept apart from both so that a child loads nothing of the runner.
import type { ContenderKey } from './contenders/index.js';

export const CHILD_ENV = 'SWIFTLET_BENCH_PEERS_CHILD';

export interface TurnParams {
  warmup: number;
  turns: number;
  /** Turn i goes to session i mod sessions. */
  sessions: number;
}

export interface ConcurrencyParams {
  /** Sessions in flight, each running turns back to back. */
  sessions: number;
  warmupMs: number;
  durationMs: number;
}

export interface SessionsParams {
  /** Sessions measured, one turn each. */
  sessions: number;
  /** Sessions run (one turn each) before the first heap reading. */
  warmup: number;
}

export type ChildTask =
  | { workload: 'turn'; params: TurnParams }
  | { workload: 'concurrency'; params: ConcurrencyParams }
  | { workload: 'sessions'; params: SessionsParams }
  | { workload: 'start'; params: { sessionId: string } };

export type ChildArgs = ChildTask & {
  contender: ContenderKey;
  mockUrl: string;
  dir: string;
  /** Swiftlet's provider pool size (`maxConnections`); its default when absent. */
  connections?: number;
};

export interface TurnRunResult {
  n: number;
  failed: number;
  medianMs: number;
  p95Ms: number;
  p99Ms: number;
  meanMs: number;
  turnsPerSec: number;
  /** The first failure's message, when some turns failed. */
  firstError?: string;
}

export interface ConcurrencyRunResult {
  sessions: number;
  /** The measured window as the child's timers saw it. */
  windowMs: number;
  completed: number;
  failed: number;
  turnsPerSec: number;
  medianMs: number;
  p99Ms: number;
  /** The child's CPU time (user + system) in the window per completed turn. */
  cpuMsPerTurn: number;
  firstError?: string;
}

export interface SessionsRunResult {
  sessions: number;
  warmup: number;
  heapBeforeBytes: number;
  heapAfterBytes: number;
  bytesPerSession: number;
}

export interface StartRunResult {
  /** Child's own clock: from its start (performance.timeOrigin) to the contender module loaded, created, turn done. */
  importedMs: number;
  createdMs: number;
  firstTurnMs: number;
}

/** The child's last stdout line. */
export type ChildAnswer<R> = { ok: true; result: R } | { ok: false; error: string };
