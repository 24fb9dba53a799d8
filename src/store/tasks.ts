import type {
  ErrorPayload,
  TaskEvent,
  TaskEventData,
  TaskRecord,
  TaskResult,
  TaskState,
  TenantScope,
} from '../core/index.js';

// The task records' port: every SessionStore adapter has one (`store.tasks`), in the same database, under the same
// numbered migrations. A task is an append-only log of events with its row as their projection; the bus is the only
// writer, and it batches: one `write` call is one transaction.

/** A new task with its first events (its `submitted` state). */
export interface CreateWrite {
  op: 'create';
  task: TaskRecord;
  events: TaskEventData[];
}

/** The row moves only when every given condition holds; otherwise nothing of this write is applied. */
export interface TaskGuard {
  states?: readonly TaskState[];
  attempt?: number;
  /** The process holding the claim. */
  owner?: string;
  /** Only a claim whose lease lapsed before this time (epoch ms). */
  leaseBefore?: number;
}

/** Columns to set; `null` clears. */
export interface TaskChange {
  state?: TaskState;
  attempt?: number;
  assignee?: string;
  owner?: string | null;
  leaseUntil?: number | null;
  result?: TaskResult;
  error?: ErrorPayload;
}

export interface UpdateWrite {
  op: 'update';
  tenant: string;
  id: string;
  guard: TaskGuard;
  set: TaskChange;
  events: TaskEventData[];
  at: number;
}

export type TaskWrite = CreateWrite | UpdateWrite;

export interface TaskWriteResult {
  /** Create: the row was inserted. Update: the guard held and the row moved. */
  ok: boolean;
  /** Seq of the last event the write appended (when ok). */
  lastSeq?: number;
  /** Create refused by its idempotency key: the task that has it. */
  existing?: TaskRecord;
}

export interface TaskListFilter {
  state?: TaskState;
  /** Tasks addressed to this agent or held by it. */
  agent?: string;
  parentId?: string;
  limit?: number;
  /** Opaque cursor returned as `nextCursor` by the previous page. */
  cursor?: string;
}

export interface TaskPage {
  tasks: TaskRecord[];
  nextCursor?: string;
}

export interface TaskStore {
  /** Applies the writes in order, in one transaction; one result each. A failed guard is a result, not an error. */
  write(writes: readonly TaskWrite[]): Promise<TaskWriteResult[]>;
  get(tenant: string, id: string): Promise<TaskRecord | undefined>;
  /** Events with seq > afterSeq, oldest first. */
  events(tenant: string, id: string, afterSeq?: number, limit?: number): Promise<TaskEvent[]>;
  /** Newest first. */
  list(scope: TenantScope, filter?: TaskListFilter): Promise<TaskPage>;
  /** A broadcast parent's children, in the order they were made. */
  children(tenant: string, parentId: string): Promise<TaskRecord[]>;
  /**
   * Tasks not yet in a terminal state, across every tenant, in id order after `afterId`: what the bus loads at start
   * and sweeps for tasks published, lapsed or canceled by other processes.
   */
  active(afterId: string, limit: number): Promise<TaskRecord[]>;
}

export const TASK_LIST_LIMIT = { default: 50, max: 1000 } as const;
