// What the `broker` scenario's helper processes are asked to do and what they answer, shared by the parent
// (bench/broker/scenario.ts) and the child (bench/broker/child.ts).

/** The tenant every benchmark task belongs to. */
export const BENCH_TENANT = 'bench';

/** Fixed parts of the workload (the CLI options are in BrokerOptions). */
export const BROKER_CONSTANTS = {
  /** Subscribers of the broadcast measurements: each broadcast makes one child task per subscriber. */
  broadcastK: 10,
  /** Unclaimed tasks per tenant and target (the bus's default, `bus.maxQueued`). */
  maxQueued: 10_000,
  /** Throughput: tasks published and not yet completed, at most (half the queue limit, so nothing is refused). */
  maxOutstanding: 5_000,
  /** Latency and slow-consumer measurements: unmeasured seconds at the offered rate before the measured ones. */
  warmupSeconds: 1,
  /** Throughput: unmeasured tasks before the measured ones, at most (and at most a tenth of them). */
  maxWarmupTasks: 2_000,
  /** The slow consumer: milliseconds per task, its queue limit, tasks it holds at once. */
  slowMs: 50,
  slowQueueLimit: 20,
  slowConcurrency: 1,
  /** The floor: tasks per transaction in each of its three stages (create, claim, complete). */
  floorBatch: 100,
  /** A measurement that makes no progress for this long stops with an error. */
  stallMs: 30_000,
} as const;

export type MeasurementKind = 'throughput' | 'latency' | 'broadcast' | 'broadcastLatency' | 'slow';
export const BUS_MEASUREMENTS: readonly MeasurementKind[] = [
  'throughput',
  'latency',
  'broadcast',
  'broadcastLatency',
  'slow',
];

export interface LoadParams {
  subscribers: number;
  concurrency: number;
  /** Throughput measurements: measured tasks (broadcast: child tasks) and the warm-up before them. */
  tasks: number;
  warmupTasks: number;
  /** Latency and slow measurements. */
  rate: number;
  durationSeconds: number;
}

/** Where a bus helper keeps its records; `nats`: on SQLite files, with offers and changes through NATS JetStream. */
export type StoreSpec =
  | { kind: 'sqlite'; dir: string }
  | { kind: 'postgres'; url: string; schemaPrefix: string }
  | { kind: 'nats'; dir: string; url: string; streamPrefix: string }
  | { kind: 'grpc'; dir: string };

/** The measurements a bus on NATS makes (the others would measure the store again). */
export const NATS_MEASUREMENTS: readonly MeasurementKind[] = ['throughput', 'latency'];
/** The measurements with consumers over gRPC (records on SQLite). */
export const GRPC_MEASUREMENTS: readonly MeasurementKind[] = ['throughput', 'latency'];

export type BrokerChildSpec =
  | { role: 'bus'; store: StoreSpec; load: LoadParams; measurements: MeasurementKind[]; idsDir: string }
  | { role: 'floor'; path: string; idsFile: string; load: LoadParams }
  | { role: 'jetstream'; url: string; stream: string; load: LoadParams }
  | { role: 'grpcConsumer'; address: string; key: string; agents: string[]; concurrency: number };

/** Raw JetStream: messages published, fetched and acknowledged, in the throughput measurement's window. */
export interface JetStreamFigures {
  kind: 'jetstream';
  tasks: number;
  wallMs: number;
  perSec: number;
  cpuUsPerTask: number;
  acked: number;
  duplicates: number;
  errors: number;
}

/** Quantiles in milliseconds, nearest rank. */
export interface Quantiles {
  n: number;
  p50: number;
  p99: number;
  max: number;
}

/** Readings of the bus's process over a measurement's measured part. */
export interface Diagnostics {
  /** TaskStore.write calls (one per bus transaction) and how long each took. */
  transactions: number;
  txMs: Quantiles;
  /** Event-loop delay (perf_hooks, 1 ms resolution): how long a ready callback waited to run. */
  loopDelayMs: Quantiles;
}

/** Counted in the bus's process: what the publisher and the handlers saw. */
export interface Counts {
  /** Publishes that resolved (the task is recorded); for a broadcast, parents. */
  accepted: number;
  /** Handler invocations (tasks delivered to a consumer); for a broadcast, children. */
  delivered: number;
  /** Deliveries of a task already delivered once. */
  redelivered: number;
  /** complete() calls that resolved. */
  completed: number;
  /** Publishes or completions that failed otherwise (not QUEUE_FULL in the slow-consumer measurement). */
  errors: number;
  firstError?: string;
  /** Tasks accepted but never completed when the measurement ended (stalled). */
  unfinished: number;
}

export interface ThroughputFigures {
  kind: 'throughput';
  tasks: number;
  wallMs: number;
  /** Measured tasks completed ÷ the time from the first measured publish to the last completion. */
  perSec: number;
  /** The bus writer's transactions during the measured tasks, and task writes per transaction (3 per task). */
  transactions: number;
  writesPerTx: number;
  /** CPU of the bus's process (bus, store, publisher, handlers) per measured task, microseconds. */
  cpuUsPerTask: number;
  counts: Counts;
  diagnostics: Diagnostics;
}

export interface LatencyFigures {
  kind: 'latency';
  offeredRate: number;
  /** Measured tasks ÷ the time between the first and the last measured publish call. */
  achievedRate: number;
  tasks: number;
  /** publish() call → its promise resolved (the task is committed). */
  publishMs: Quantiles;
  /** publish() call → the handler invoked with the task (claimed, and the claim committed). */
  claimMs: Quantiles;
  /** publish() call → the handler's complete() resolved (the completion committed). */
  completeMs: Quantiles;
  counts: Counts;
  diagnostics: Diagnostics;
}

export interface BroadcastFigures {
  kind: 'broadcast';
  k: number;
  parents: number;
  children: number;
  /** Measured child tasks completed ÷ the time from the first measured publish to the last child completion. */
  childPerSec: number;
  /** Measured parents completed ÷ the time from the first measured publish to the last parent completion. */
  parentPerSec: number;
  /** Completions the bus counted beyond the children's: the parents it completed (all of them, warm-up too). */
  parentsCompleted: number;
  transactions: number;
  cpuUsPerChild: number;
  counts: Counts;
  diagnostics: Diagnostics;
}

export interface BroadcastLatencyFigures {
  kind: 'broadcastLatency';
  k: number;
  /** Broadcasts per second (the offered task rate ÷ k, so that the children arrive at the offered rate). */
  offeredRate: number;
  parents: number;
  /** Parent publish() call → a child's handler invoked. */
  claimMs: Quantiles;
  /** Parent publish() call → a child's complete() resolved. */
  childCompleteMs: Quantiles;
  /** Parent publish() call → its completed state seen through bus.watch(). */
  parentCompleteMs: Quantiles;
  counts: Counts;
  diagnostics: Diagnostics;
}

export interface SlowFigures {
  kind: 'slow';
  offeredRate: number;
  slowMs: number;
  queueLimit: number;
  offered: number;
  accepted: number;
  /** Publishes refused with SWIFTLET_ERR_QUEUE_FULL. */
  refused: number;
  /** The retryAfterMs the first refusal carried. */
  retryAfterMs: number | null;
  slow: {
    agent: string;
    offered: number;
    accepted: number;
    refused: number;
    /** Accepted and not yet claimed, at most (sampled at each accepted publish). */
    maxWaiting: number;
    /** publish() call → handler, for the slow consumer's tasks: the time they waited. */
    claimMs: Quantiles;
  };
  fast: { offered: number; accepted: number; refused: number; claimMs: Quantiles };
  /** Last publish call → the last completion (the slow consumer working off its queue). */
  drainMs: number;
  counts: Counts;
  diagnostics: Diagnostics;
}

export type BusFigures = ThroughputFigures | LatencyFigures | BroadcastFigures | BroadcastLatencyFigures | SlowFigures;

/** Where a measurement's records are, for the parent to verify: a SQLite file or a PostgreSQL schema. */
export type StoreRef = { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string; schema: string };

export interface MeasurementOutput {
  figures: BusFigures;
  store: StoreRef;
  /** A file of the accepted top-level task ids, one a line. */
  idsFile: string;
  /** Child tasks each top-level task must have (k for a broadcast, else 0). */
  childrenPer: number;
}

export interface FloorFigures {
  kind: 'floor';
  tasks: number;
  batch: number;
  wallMs: number;
  perSec: number;
  transactions: number;
  cpuUsPerTask: number;
  /** Guarded updates that found their row moved (must be 0). */
  guardMisses: number;
}

export type ChildEvent =
  | { event: 'progress'; line: string }
  /** The store has no task records in this build (PostgresStore before its `tasks`). */
  | { event: 'skipped'; reason: string }
  | { event: 'result'; measurements: MeasurementOutput[] }
  | { event: 'floor'; figures: FloorFigures; store: StoreRef; idsFile: string }
  | { event: 'jetstream'; figures: JetStreamFigures };
