// The load of the `broker` scenario, run in the bus's own process: a publisher and subscribers whose handlers
// complete at once (or, for the slow consumer, after a pause). Every timestamp is taken here, outside the bus: the
// publish() call, the handler's invocation, complete() resolving.
import type { Assignment, Subscription, TaskBus } from '../../src/bus/index.js';
import {
  ALL_TENANTS,
  SwiftletError,
  type TaskRecord,
  type TaskResult,
  type TaskSpec,
  type TaskTarget,
} from '../../src/core/index.js';
import { quantile } from '../stats.js';
import {
  BENCH_TENANT,
  BROKER_CONSTANTS as K,
  type BroadcastFigures,
  type BroadcastLatencyFigures,
  type Counts,
  type Diagnostics,
  type LatencyFigures,
  type LoadParams,
  type Quantiles,
  type SlowFigures,
  type ThroughputFigures,
} from './types.js';

export const REQUESTER = { kind: 'cli', id: 'bench' } as const;
export const RESULT: TaskResult = { message: 'done' };
export const INPUT_TEXT = 'bench task';
export const SLOW_AGENT = 'slow';

export type Progress = (line: string) => void;

/** Started at the measured part's beginning, stopped at its end (bench/broker/child.ts makes them). */
export interface Instruments {
  start(): void;
  stop(): Diagnostics;
}

export interface Measured<F> {
  figures: F;
  /** The accepted top-level tasks (for a broadcast, the parents). */
  ids: string[];
}

/** Task i of a measurement: its index travels in the input, so a handler knows which task it got without a lookup. */
function taskSpec(target: TaskTarget, i: number): TaskSpec {
  return { tenant: BENCH_TENANT, target, input: { text: INPUT_TEXT, data: i }, requester: REQUESTER };
}

const indexOf = (a: Assignment): number => a.task.input.data as number;

/** What a measurement is told of its tasks by their consumers: task i claimed, completed, or its completion failed. */
export interface ConsumerEvents {
  claimed(i: number): void;
  completed(i: number): void;
  failed(err: unknown): void;
}

/** The consumers of the direct measurements: subscribed here, or elsewhere (over gRPC) and observed. */
export interface Consumers {
  start(events: ConsumerEvents): Promise<void>;
  stop(): Promise<void>;
}

/** One subscriber per target in this process, completing each task at once. */
function inProcess(bus: TaskBus, p: LoadParams): Consumers {
  let subs: Subscription[] = [];
  return {
    async start(events) {
      const handler = (a: Assignment): void => {
        const i = indexOf(a);
        events.claimed(i);
        a.complete(RESULT).then(
          () => events.completed(i),
          (err: unknown) => events.failed(err),
        );
      };
      subs = agentNames(p.subscribers).map((agent) =>
        bus.subscribe({ agent, scope: ALL_TENANTS, concurrency: p.concurrency }, handler),
      );
    },
    async stop() {
      await Promise.all(subs.map((s) => s.close()));
    },
  };
}

export const agentNames = (n: number, prefix = 's'): string[] => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

function newCounts(): Counts {
  return { accepted: 0, delivered: 0, redelivered: 0, completed: 0, errors: 0, unfinished: 0 };
}

function failed(c: Counts, err: unknown): void {
  c.errors++;
  c.firstError ??= SwiftletError.isInstance(err) ? `${err.code}: ${err.message}` : String(err);
}

/** Nearest-rank quantiles of the finite values of `samples`. */
export function quantiles(samples: ArrayLike<number>): Quantiles {
  const finite = Array.prototype.filter.call(samples, Number.isFinite) as number[];
  const sorted = Float64Array.from(finite).sort();
  return {
    n: sorted.length,
    p50: quantile(sorted, 0.5),
    p99: quantile(sorted, 0.99),
    max: sorted.at(-1) ?? Number.NaN,
  };
}

/** `end - start` for each i in [from, to), NaN where either is missing. */
function deltas(end: Float64Array, start: Float64Array, from: number, to: number, per = 1): Float64Array {
  const out = new Float64Array((to - from) * per);
  for (let i = from; i < to; i++) {
    for (let j = 0; j < per; j++) out[(i - from) * per + j] = end[i * per + j]! - start[i]!;
  }
  return out;
}

/**
 * Resolves when `done()` turns true; checks every `everyMs`, reports progress, and gives up (resolving false) when
 * `progress()` has not moved for K.stallMs.
 */
export function until(
  done: () => boolean,
  progress: () => number,
  report: () => void,
  everyMs = 250,
): Promise<boolean> {
  return new Promise((resolve) => {
    let last = progress();
    let since = performance.now();
    const check = (): void => {
      if (done()) {
        clearInterval(timer);
        resolve(true);
        return;
      }
      const now = performance.now();
      const p = progress();
      if (p !== last) {
        last = p;
        since = now;
      } else if (now - since > K.stallMs) {
        clearInterval(timer);
        resolve(false);
        return;
      }
      report();
    };
    const timer = setInterval(check, everyMs);
    check();
  });
}

/** Publishes `total` tasks from index `from` at `rate` per second, each call's start time in `startAt`. */
export function openLoop(from: number, total: number, rate: number, publish: (i: number) => void): Promise<void> {
  return new Promise((resolve) => {
    let next = from;
    const t0 = performance.now();
    const tick = (): void => {
      const due = Math.min(total, from + Math.floor(((performance.now() - t0) * rate) / 1000) + 1);
      while (next < due) publish(next++);
      if (next >= total) return resolve();
      setTimeout(tick, Math.max(0, t0 + ((next - from) * 1000) / rate - performance.now()));
    };
    tick();
  });
}

export const cpuNow = (): number => {
  const u = process.cpuUsage();
  return u.user + u.system;
};

// -----------------------------------------------------------------------------------------------------------------
// Direct tasks

/** As fast as the bus accepts, at most K.maxOutstanding published and not completed; completions per second. */
export async function measureThroughput(
  bus: TaskBus,
  p: LoadParams,
  report: Progress,
  inst: Instruments,
  consumers: Consumers = inProcess(bus, p),
): Promise<Measured<ThroughputFigures>> {
  const total = p.warmupTasks + p.tasks;
  const targets = agentNames(p.subscribers).map((agent) => ({ agent }));
  const seen = new Uint8Array(total);
  const ids: string[] = [];
  const c = newCounts();
  let published = 0;
  let ended = 0;
  let phaseEnd = 0;
  let lastDone = 0;
  const endOne = (): void => {
    ended++;
    pump();
  };
  const pump = (): void => {
    while (published < phaseEnd && published - ended < K.maxOutstanding) {
      const i = published++;
      bus.publish(taskSpec(targets[i % targets.length]!, i)).then(
        (t) => {
          ids.push(t.id);
          c.accepted++;
        },
        (err: unknown) => {
          failed(c, err);
          endOne();
        },
      );
    }
  };
  await consumers.start({
    claimed(i) {
      c.delivered++;
      if (seen[i] !== 0) c.redelivered++;
      seen[i] = 1;
    },
    completed() {
      c.completed++;
      lastDone = performance.now();
      endOne();
    },
    failed(err) {
      failed(c, err);
      endOne();
    },
  });
  const phase = (end: number, label: string): Promise<boolean> => {
    phaseEnd = end;
    pump();
    return until(
      () => ended >= end,
      () => ended,
      () => report(`throughput ${label} ${ended}/${total}`),
    );
  };
  let ok = await phase(p.warmupTasks, 'warm-up');
  const completedBefore = c.completed;
  const tx0 = bus.stats().transactions;
  inst.start();
  const cpu0 = cpuNow();
  const t0 = performance.now();
  if (ok) ok = await phase(total, 'measured');
  const cpu = cpuNow() - cpu0;
  const diagnostics = inst.stop();
  const transactions = bus.stats().transactions - tx0;
  await consumers.stop();
  const done = c.completed - completedBefore;
  const wallMs = lastDone - t0;
  c.unfinished = c.accepted - c.completed;
  if (!ok) failed(c, new Error(`stalled: ${ended}/${total} tasks ended`));
  return {
    figures: {
      kind: 'throughput',
      tasks: p.tasks,
      wallMs,
      perSec: (done * 1000) / wallMs,
      transactions,
      writesPerTx: (3 * done) / transactions,
      cpuUsPerTask: cpu / done,
      counts: c,
      diagnostics,
    },
    ids,
  };
}

/** At a fixed offered rate: publish → claim and publish → completion, per task. */
export async function measureLatency(
  bus: TaskBus,
  p: LoadParams,
  report: Progress,
  inst: Instruments,
  consumers: Consumers = inProcess(bus, p),
): Promise<Measured<LatencyFigures>> {
  const warm = Math.round(p.rate * K.warmupSeconds);
  const total = warm + Math.max(1, Math.round(p.rate * p.durationSeconds));
  const targets = agentNames(p.subscribers).map((agent) => ({ agent }));
  const startAt = new Float64Array(total).fill(Number.NaN);
  const ackAt = new Float64Array(total).fill(Number.NaN);
  const claimAt = new Float64Array(total).fill(Number.NaN);
  const doneAt = new Float64Array(total).fill(Number.NaN);
  const ids: string[] = [];
  const c = newCounts();
  let ended = 0;
  await consumers.start({
    claimed(i) {
      c.delivered++;
      if (!Number.isNaN(claimAt[i]!)) c.redelivered++;
      else claimAt[i] = performance.now();
    },
    completed(i) {
      doneAt[i] = performance.now();
      c.completed++;
      ended++;
    },
    failed(err) {
      failed(c, err);
      ended++;
    },
  });
  const publish = (i: number): void => {
    startAt[i] = performance.now();
    bus.publish(taskSpec(targets[i % targets.length]!, i)).then(
      (t) => {
        ackAt[i] = performance.now();
        ids.push(t.id);
        c.accepted++;
      },
      (err: unknown) => {
        failed(c, err);
        ended++;
      },
    );
  };
  const measuring = setTimeout(() => inst.start(), K.warmupSeconds * 1000);
  const publishing = openLoop(0, total, p.rate, publish);
  const ok = await until(
    () => ended >= total,
    () => ended,
    () => report(`latency ${ended}/${total} at ${p.rate}/s`),
  );
  await publishing;
  clearTimeout(measuring);
  const diagnostics = inst.stop();
  await consumers.stop();
  c.unfinished = c.accepted - c.completed;
  if (!ok) failed(c, new Error(`stalled: ${ended}/${total} tasks ended`));
  const first = startAt[warm]!;
  const last = startAt[total - 1]!;
  return {
    figures: {
      kind: 'latency',
      offeredRate: p.rate,
      achievedRate: total - warm > 1 ? ((total - warm - 1) * 1000) / (last - first) : Number.NaN,
      tasks: total - warm,
      publishMs: quantiles(deltas(ackAt, startAt, warm, total)),
      claimMs: quantiles(deltas(claimAt, startAt, warm, total)),
      completeMs: quantiles(deltas(doneAt, startAt, warm, total)),
      counts: c,
      diagnostics,
    },
    ids,
  };
}

// -----------------------------------------------------------------------------------------------------------------
// Broadcasts

interface BroadcastState {
  c: Counts;
  k: number;
  seen: Set<string>;
  /** Per parent index: children claimed, children completed. */
  claims: Uint8Array;
  dones: Uint8Array;
}

function broadcastSubscribers(
  bus: TaskBus,
  p: LoadParams,
  s: BroadcastState,
  onClaim: (i: number, slot: number) => void,
  onChildDone: (i: number, slot: number, all: boolean) => void,
) {
  const handler = (a: Assignment): void => {
    const i = indexOf(a);
    s.c.delivered++;
    if (s.seen.has(a.task.id)) s.c.redelivered++;
    else s.seen.add(a.task.id);
    // A child delivered or completed more than k times for its parent is a duplicate, counted above and not timed.
    if (s.claims[i]! < s.k) onClaim(i, i * s.k + s.claims[i]!++);
    a.complete(RESULT).then(
      () => {
        s.c.completed++;
        const n = s.dones[i]!++;
        if (n < s.k) onChildDone(i, i * s.k + n, n + 1 === s.k);
      },
      (err: unknown) => failed(s.c, err),
    );
  };
  return agentNames(s.k, 'b').map((agent) =>
    bus.subscribe({ agent, scope: ALL_TENANTS, concurrency: p.concurrency }, handler),
  );
}

const BROADCAST: TaskTarget = { broadcast: true };

/** Broadcasts to K.broadcastK subscribers as fast as the bus takes them; children and parents completed per second. */
export async function measureBroadcast(
  bus: TaskBus,
  p: LoadParams,
  report: Progress,
  inst: Instruments,
): Promise<Measured<BroadcastFigures>> {
  const k = K.broadcastK;
  const warmParents = Math.ceil(p.warmupTasks / k);
  const total = warmParents + Math.max(1, Math.ceil(p.tasks / k));
  const outstanding = Math.max(1, Math.floor(K.maxOutstanding / k));
  const s: BroadcastState = {
    c: newCounts(),
    k,
    seen: new Set(),
    claims: new Uint8Array(total),
    dones: new Uint8Array(total),
  };
  const ids: string[] = [];
  let published = 0;
  let ended = 0;
  let phaseEnd = 0;
  let lastChildDone = 0;
  const pump = (): void => {
    while (published < phaseEnd && published - ended < outstanding) {
      const i = published++;
      bus.publish(taskSpec(BROADCAST, i)).then(
        (t) => {
          ids.push(t.id);
          s.c.accepted++;
        },
        (err: unknown) => {
          failed(s.c, err);
          ended++;
          pump();
        },
      );
    }
  };
  const subs = broadcastSubscribers(
    bus,
    p,
    s,
    () => undefined,
    (_i, _slot, all) => {
      lastChildDone = performance.now();
      if (all) {
        ended++;
        pump();
      }
    },
  );
  const parentsDone = (): number => bus.stats().completed - s.c.completed;
  const phase = async (end: number, label: string): Promise<boolean> => {
    phaseEnd = end;
    pump();
    return until(
      () => ended >= end,
      () => ended,
      () => report(`broadcast ${label} ${ended}/${total} parents`),
    );
  };
  let ok = await phase(warmParents, 'warm-up');
  const childrenBefore = s.c.completed;
  const tx0 = bus.stats().transactions;
  inst.start();
  const cpu0 = cpuNow();
  const t0 = performance.now();
  if (ok) ok = await phase(total, 'measured');
  // A parent completes after its last child, when the bus has read that all of them ended.
  if (ok) {
    ok = await until(
      () => parentsDone() >= s.c.accepted,
      parentsDone,
      () => report(`broadcast: parents ${parentsDone()}/${s.c.accepted} completed`),
      2,
    );
  }
  const lastParentDone = performance.now();
  const cpu = cpuNow() - cpu0;
  const diagnostics = inst.stop();
  const transactions = bus.stats().transactions - tx0;
  await Promise.all(subs.map((x) => x.close()));
  const children = s.c.completed - childrenBefore;
  const parents = total - warmParents;
  s.c.unfinished = s.c.accepted * k - s.c.completed;
  if (!ok) failed(s.c, new Error(`stalled: ${ended}/${total} broadcasts answered by all`));
  return {
    figures: {
      kind: 'broadcast',
      k,
      parents,
      children,
      childPerSec: (children * 1000) / (lastChildDone - t0),
      parentPerSec: (parents * 1000) / (lastParentDone - t0),
      parentsCompleted: parentsDone(),
      transactions,
      cpuUsPerChild: cpu / children,
      counts: s.c,
      diagnostics,
    },
    ids,
  };
}

/** Broadcasts at the offered task rate ÷ k: publish → each child's claim and completion, and the parent's. */
export async function measureBroadcastLatency(
  bus: TaskBus,
  p: LoadParams,
  report: Progress,
  inst: Instruments,
): Promise<Measured<BroadcastLatencyFigures>> {
  const k = K.broadcastK;
  const rate = p.rate / k;
  const warm = Math.round(rate * K.warmupSeconds);
  const total = warm + Math.max(1, Math.round(rate * p.durationSeconds));
  const s: BroadcastState = {
    c: newCounts(),
    k,
    seen: new Set(),
    claims: new Uint8Array(total),
    dones: new Uint8Array(total),
  };
  const startAt = new Float64Array(total).fill(Number.NaN);
  const claimAt = new Float64Array(total * k).fill(Number.NaN);
  const doneAt = new Float64Array(total * k).fill(Number.NaN);
  const parentAt = new Float64Array(total).fill(Number.NaN);
  const ids: string[] = [];
  let ended = 0;
  const subs = broadcastSubscribers(
    bus,
    p,
    s,
    (_i, slot) => (claimAt[slot] = performance.now()),
    (_i, slot) => (doneAt[slot] = performance.now()),
  );
  const watchParent = async (i: number, t: TaskRecord): Promise<void> => {
    try {
      for await (const e of bus.watch(BENCH_TENANT, t.id)) {
        if (e.type !== 'state') continue;
        if (e.state === 'completed') parentAt[i] = performance.now();
        else if (e.state !== 'submitted' && e.state !== 'working')
          failed(s.c, new Error(`broadcast ${t.id} ${e.state}`));
      }
    } catch (err) {
      failed(s.c, err);
    }
    ended++;
  };
  const publish = (i: number): void => {
    startAt[i] = performance.now();
    bus.publish(taskSpec(BROADCAST, i)).then(
      (t) => {
        ids.push(t.id);
        s.c.accepted++;
        void watchParent(i, t);
      },
      (err: unknown) => {
        failed(s.c, err);
        ended++;
      },
    );
  };
  const measuring = setTimeout(() => inst.start(), K.warmupSeconds * 1000);
  const publishing = openLoop(0, total, rate, publish);
  const ok = await until(
    () => ended >= total && s.c.completed + s.c.errors >= s.c.accepted * k,
    () => ended + s.c.completed,
    () => report(`broadcast latency ${ended}/${total} parents at ${fmtRate(rate)}/s`),
  );
  await publishing;
  clearTimeout(measuring);
  const diagnostics = inst.stop();
  await Promise.all(subs.map((x) => x.close()));
  s.c.unfinished = s.c.accepted * k - s.c.completed;
  if (!ok) failed(s.c, new Error(`stalled: ${ended}/${total} broadcasts ended`));
  return {
    figures: {
      kind: 'broadcastLatency',
      k,
      offeredRate: rate,
      parents: total - warm,
      claimMs: quantiles(deltas(claimAt, startAt, warm, total, k)),
      childCompleteMs: quantiles(deltas(doneAt, startAt, warm, total, k)),
      parentCompleteMs: quantiles(deltas(parentAt, startAt, warm, total)),
      counts: s.c,
      diagnostics,
    },
    ids,
  };
}

const fmtRate = (r: number): string => (Number.isInteger(r) ? String(r) : r.toFixed(1));

// -----------------------------------------------------------------------------------------------------------------
// One slow consumer

/**
 * At the offered rate over N targets, one of which (SLOW_AGENT) takes K.slowMs per task, one at a time, on a bus
 * whose queue limit is K.slowQueueLimit: what the bus refuses, how long the slow consumer's tasks wait, and that the
 * fast consumers' tasks do not wait behind them. The bus must be made with maxQueued = K.slowQueueLimit.
 */
export async function measureSlow(
  bus: TaskBus,
  p: LoadParams,
  report: Progress,
  inst: Instruments,
): Promise<Measured<SlowFigures>> {
  const total = Math.max(1, Math.round(p.rate * p.durationSeconds));
  const fastNames = agentNames(Math.max(0, p.subscribers - 1));
  const targets = [...fastNames, SLOW_AGENT].map((agent) => ({ agent }));
  const isSlow = (i: number): boolean => i % targets.length === targets.length - 1;
  const startAt = new Float64Array(total).fill(Number.NaN);
  const claimAt = new Float64Array(total).fill(Number.NaN);
  const ids: string[] = [];
  const c = newCounts();
  const slow = { offered: 0, accepted: 0, refused: 0, claimed: 0, maxWaiting: 0 };
  const fast = { offered: 0, accepted: 0, refused: 0 };
  let retryAfterMs: number | null = null;
  let ended = 0;
  let lastDone = 0;
  const complete = (a: Assignment): void => {
    a.complete(RESULT).then(
      () => {
        c.completed++;
        ended++;
        lastDone = performance.now();
      },
      (err: unknown) => {
        failed(c, err);
        ended++;
      },
    );
  };
  const claimed = (a: Assignment): number => {
    const i = indexOf(a);
    c.delivered++;
    if (!Number.isNaN(claimAt[i]!)) c.redelivered++;
    else claimAt[i] = performance.now();
    return i;
  };
  const subs = [
    ...fastNames.map((agent) =>
      bus.subscribe({ agent, scope: ALL_TENANTS, concurrency: p.concurrency }, (a) => {
        claimed(a);
        complete(a);
      }),
    ),
    bus.subscribe({ agent: SLOW_AGENT, scope: ALL_TENANTS, concurrency: K.slowConcurrency }, (a) => {
      claimed(a);
      slow.claimed++;
      setTimeout(() => complete(a), K.slowMs);
    }),
  ];
  const publish = (i: number): void => {
    const toSlow = isSlow(i);
    const side = toSlow ? slow : fast;
    side.offered++;
    startAt[i] = performance.now();
    bus.publish(taskSpec(targets[i % targets.length]!, i)).then(
      (t) => {
        ids.push(t.id);
        c.accepted++;
        side.accepted++;
        if (toSlow) slow.maxWaiting = Math.max(slow.maxWaiting, slow.accepted - slow.claimed);
      },
      (err: unknown) => {
        ended++;
        if (SwiftletError.isInstance(err) && err.code === 'SWIFTLET_ERR_QUEUE_FULL') {
          side.refused++;
          retryAfterMs ??= err.retryAfterMs ?? null;
        } else failed(c, err);
      },
    );
  };
  inst.start();
  await openLoop(0, total, p.rate, publish);
  const lastPublish = performance.now();
  const ok = await until(
    () => ended >= total,
    () => ended,
    () => report(`slow consumer: ${ended}/${total} ended (${slow.refused + fast.refused} refused)`),
  );
  const diagnostics = inst.stop();
  await Promise.all(subs.map((x) => x.close()));
  c.unfinished = c.accepted - c.completed;
  if (!ok) failed(c, new Error(`stalled: ${ended}/${total} tasks ended`));
  const slowClaims: number[] = [];
  const fastClaims: number[] = [];
  for (let i = 0; i < total; i++) (isSlow(i) ? slowClaims : fastClaims).push(claimAt[i]! - startAt[i]!);
  return {
    figures: {
      kind: 'slow',
      offeredRate: p.rate,
      slowMs: K.slowMs,
      queueLimit: K.slowQueueLimit,
      offered: total,
      accepted: c.accepted,
      refused: slow.refused + fast.refused,
      retryAfterMs,
      slow: {
        agent: SLOW_AGENT,
        offered: slow.offered,
        accepted: slow.accepted,
        refused: slow.refused,
        maxWaiting: slow.maxWaiting,
        claimMs: quantiles(slowClaims),
      },
      fast: { ...fast, claimMs: quantiles(fastClaims) },
      drainMs: Math.max(0, lastDone - lastPublish),
      counts: c,
      diagnostics,
    },
    ids,
  };
}
