// The rate ladder: the same rates for every target, in turn at each rate, until each has passed its knee.
import { setTimeout as sleep } from 'node:timers/promises';
import type { MockProcess } from '../mock-process.js';
import { cpuSeconds } from '../proc.js';
import { failure, type Knee, type StopReason } from './judge.js';
import type { Loadgen } from './processes.js';
import { TARGET_LABELS, type Target, type TargetKey } from './targets.js';

export interface StepFigures {
  rate: number;
  offered: number;
  sent: number;
  shed: number;
  completed: number;
  completedPerSec: number;
  errors: number;
  errorKinds: Record<string, number>;
  firstError?: string;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
  lagP99Ms: number;
  serverCpuSeconds: number;
  serverCpuMsPerRequest: number;
  mockCpuSeconds: number;
  generatorCpuSeconds: number;
  rssBytes: number;
  heapUsedBytes: number;
  keptUp: boolean;
  /** Why the step did not keep up. */
  failedOn?: 'throughput' | 'p99';
  /** 2 for the repeat of a failed step at the same rate. */
  attempt: number;
}

export interface TargetResult {
  label: string;
  steps: StepFigures[];
  knee: Knee;
}

export interface LadderCtx {
  loadgen: Loadgen;
  targets: Target[];
  /** Absent with `--target`: the server's model is its own. */
  mock?: MockProcess;
  graceMs: number;
  slackMs: number;
  /** Shared by every target: see `p99Limit`. */
  p99LimitMs: number;
  deadline: number;
  progress: (line: string) => void;
}

/** The same rates for every target, in turn at each rate, until each has passed its knee. */
export async function climb(
  o: { rateStart: number; rateStep: number; stepSeconds: number; steps: number },
  c: LadderCtx,
): Promise<Partial<Record<TargetKey, TargetResult>>> {
  const out: Partial<Record<TargetKey, TargetResult>> = {};
  const open = new Set<TargetKey>();
  for (const t of c.targets) {
    out[t.key] = {
      label: TARGET_LABELS[t.key],
      steps: [],
      knee: { rate: null, reached: false, stoppedBy: 'steps', p99LimitMs: c.p99LimitMs },
    };
    open.add(t.key);
  }
  // The worst a step can take: its seconds, the grace for late answers, and up to 5 s for the server to settle.
  const stepCost = o.stepSeconds * 1000 + c.graceMs + 5000;
  for (let i = 0; i < o.steps && open.size > 0; i++) {
    const rate = o.rateStart + i * o.rateStep;
    for (const t of c.targets) {
      if (!open.has(t.key)) continue;
      const result = out[t.key]!;
      if (Date.now() + stepCost > c.deadline) {
        result.knee.stoppedBy = 'budget';
        open.delete(t.key);
        continue;
      }
      let why: StopReason | undefined;
      // A failed step is run once more before it counts: on a shared machine one stall can sink a single step.
      for (let attempt = 1; attempt <= 2; attempt++) {
        const step = await measureStep(c, t, rate, o.stepSeconds);
        step.attempt = attempt;
        const failed = failure(step, c.p99LimitMs);
        why = failed;
        step.keptUp = failed === undefined;
        if (failed !== undefined) step.failedOn = failed;
        result.steps.push(step);
        c.progress(
          `http: ${TARGET_LABELS[t.key]} at ${rate}/s: ${step.completedPerSec.toFixed(0)}/s completed, ` +
            `p99 ${step.p99Ms.toFixed(1)} ms${why ? ` — ${attempt === 1 ? 'failed, once more' : 'knee'} (${why})` : ''}`,
        );
        // Work the server still holds (aborted or queued requests) must not load the next step.
        if (why !== undefined) await settle(t.server.pid);
        if (why === undefined || Date.now() + stepCost > c.deadline) break;
      }
      if (why === undefined) {
        result.knee.rate = rate;
        continue;
      }
      result.knee.reached = true;
      result.knee.stoppedBy = why;
      open.delete(t.key);
    }
  }
  return out;
}

async function measureStep(c: LadderCtx, t: Target, rate: number, seconds: number): Promise<StepFigures> {
  const cpu0 = cpuSeconds(t.server.pid);
  const mock0 = c.mock ? cpuSeconds(c.mock.pid) : Number.NaN;
  const r = await c.loadgen.step({
    target: t.load.name,
    rate,
    seconds,
    graceMs: c.graceMs,
    slackMs: c.slackMs,
    samples: false,
  });
  const serverCpu = cpuSeconds(t.server.pid) - cpu0;
  const mem = await t.server.memory();
  const errors = Object.values(r.errors).reduce((a, b) => a + b, 0) + r.shed;
  return {
    rate,
    offered: r.offered,
    sent: r.sent,
    shed: r.shed,
    completed: r.completed,
    completedPerSec: r.completedPerSec,
    errors,
    errorKinds: r.shed > 0 ? { ...r.errors, shed: r.shed } : r.errors,
    ...(r.firstError === undefined ? {} : { firstError: r.firstError }),
    p50Ms: num(r.latency.medianMs),
    p95Ms: num(r.latency.p95Ms),
    p99Ms: num(r.latency.p99Ms),
    maxMs: num(r.latency.maxMs),
    lagP99Ms: num(r.lagP99Ms),
    serverCpuSeconds: serverCpu,
    serverCpuMsPerRequest: r.completed > 0 ? (serverCpu * 1000) / r.completed : Number.NaN,
    mockCpuSeconds: c.mock ? cpuSeconds(c.mock.pid) - mock0 : Number.NaN,
    generatorCpuSeconds: r.generatorCpuSeconds,
    rssBytes: mem.rssBytes,
    heapUsedBytes: mem.heapUsedBytes,
    keptUp: false,
    attempt: 1,
  };
}

/** JSON turns NaN into null; read it back as NaN. */
const num = (v: number | null): number => (v === null ? Number.NaN : v);

/** Waits (at most 5 s) until the process uses under 5 % of a CPU over 100 ms; 2 s for a server whose pid is unknown. */
async function settle(pid: number): Promise<void> {
  if (!Number.isFinite(pid)) return void (await sleep(2000));
  for (let i = 0; i < 50; i++) {
    const before = cpuSeconds(pid);
    await sleep(100);
    if (!(cpuSeconds(pid) - before > 0.005)) return;
  }
}
