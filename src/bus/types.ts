import type {
  Artifact,
  ErrorPayload,
  JSONValue,
  TaskEvent,
  TaskRecord,
  TaskResult,
  TaskSpec,
  TenantScope,
} from '../core/index.js';
import type { TaskStore } from '../store/index.js';

/** Who takes tasks: an agent by name, with its skills, for the tenants in its scope. */
export interface SubscriberSpec {
  /** Tasks addressed `{agent: name}` come to subscribers of this name. */
  agent: string;
  /** Tasks addressed `{skill: s}` go to exactly one subscriber having `s`. */
  skills?: readonly string[];
  /** Configured agents serve every tenant (ALL_TENANTS); an external agent only its API key's tenant. */
  scope: TenantScope;
  /** Tasks held at once (default 1). */
  concurrency?: number;
}

export interface ProgressUpdate {
  text?: string;
  data?: JSONValue;
}

/**
 * A claimed task, handed to one subscriber. Its claim has a lease: `progress` and `heartbeat` renew it, and a lease
 * left to lapse (the consumer hung or died) hands the task to another consumer, as attempt + 1. The task id is the
 * handler's idempotency key: a redelivered task may have been partly done before.
 */
export interface Assignment {
  readonly task: Readonly<TaskRecord>;
  /** Aborted when the task is canceled, passes its deadline, loses its lease, or the subscription closes. */
  readonly signal: AbortSignal;
  /** Records progress and renews the lease. Written behind: nobody waits for it, so it never slows the consumer. */
  progress(update: ProgressUpdate): void;
  /** Renews the lease without an event. */
  heartbeat(): void;
  /** Records an artifact (committed before it resolves); the final result lists it. */
  artifact(artifact: Artifact): Promise<void>;
  /** Ends the task as completed. Rejects with SWIFTLET_ERR_TASK_NOT_HELD when the claim was lost meanwhile. */
  complete(result: TaskResult): Promise<TaskRecord>;
  /** Ends the task as failed (not retried). */
  fail(error: ErrorPayload): Promise<TaskRecord>;
  /** Declines the task: it ends as rejected. */
  reject(error: ErrorPayload): Promise<TaskRecord>;
  /** Gives the task back unfinished, to be redelivered (this claim counted as an attempt). */
  release(): Promise<void>;
}

/**
 * Called once per claimed task. It must end the assignment (complete, fail, reject or release); a handler that throws
 * or whose promise rejects before doing so fails the task with that error.
 */
export type TaskHandler = (assignment: Assignment) => void | Promise<void>;

export interface Subscription {
  /** Takes no more tasks; the ones held are aborted and released for redelivery. */
  close(): Promise<void>;
}

export interface WatchOptions {
  /** Only events after this seq (an SSE `Last-Event-ID`). */
  afterSeq?: number;
  signal?: AbortSignal;
}

/** What `publish` answers: the task as recorded, and whether this call recorded it. */
export interface Published extends TaskRecord {
  /** False when the idempotency key was used before: the answer is that first task, as it now is. */
  readonly created: boolean;
}

export interface BusStats {
  published: number;
  claimed: number;
  completed: number;
  failed: number;
  redelivered: number;
  refused: number;
  /** Transactions the bus's writer committed. */
  transactions: number;
}

/**
 * Tasks between agents. Every state a caller is told about is committed to the store first: `publish` resolves once
 * the task is recorded, and a claim is confirmed against the store before a handler sees it. Adapters: local (in this
 * process, on the session store) and nats; all pass test/bus/contract.ts.
 */
export interface TaskBus {
  readonly kind: string;
  /** The records, for reads (get, list, events). */
  readonly tasks: TaskStore;
  /**
   * Records a task and routes it. Refuses a full queue (SWIFTLET_ERR_QUEUE_FULL, retryable, with retryAfterMs) and a
   * broadcast nobody would receive (SWIFTLET_ERR_NO_SUBSCRIBERS). Publishing again with a used idempotency key
   * returns the first task.
   */
  publish(spec: TaskSpec): Promise<Published>;
  subscribe(spec: SubscriberSpec, handler: TaskHandler): Subscription;
  /** The task's events after `afterSeq`, then the new ones as they are committed; ends after a terminal state. */
  watch(tenant: string, id: string, options?: WatchOptions): AsyncIterable<TaskEvent>;
  /** Cancels an unfinished task (and a broadcast's children); its consumer's signal aborts. Undefined: no such task. */
  cancel(tenant: string, id: string, reason?: string): Promise<TaskRecord | undefined>;
  stats(): BusStats;
  /** Stops timers and subscriptions (held tasks are released); the store stays open. */
  close(): Promise<void>;
}
