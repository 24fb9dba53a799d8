import {
  SwiftletError,
  isTerminal,
  targetLabel,
  type ErrorPayload,
  type TaskEvent,
  type TaskEventData,
  type TaskRecord,
  type TaskResult,
  type TaskState,
  type TenantScope,
  ALL_TENANTS,
} from '../core/index.js';
import type { TaskGuard, TaskListFilter } from './tasks.js';
import { TASK_LIST_LIMIT } from './tasks.js';

// The task row as both SQL adapters store it. Immutable parts of a task (target, input, requester) are one JSON text;
// result and error are JSON texts set at the end. Every blob carries its format version `v`.

export const TASK_FORMAT_VERSION = 1;

export const TASK_COLUMNS =
  'tenant, id, state, target, agent, assignee, owner, lease_until, priority, deadline, idempotency_key, parent_id, ' +
  'depth, attempt, max_attempts, created_at, updated_at, last_seq, spec, result, error';

export interface TaskRow {
  tenant: string;
  id: string;
  state: TaskState;
  /** `agent:name`, `skill:name` or `broadcast` (targetLabel). */
  target: string;
  /** The agent it is addressed to (direct targets), for filtering. */
  agent: string | null;
  assignee: string | null;
  owner: string | null;
  lease_until: number | string | null;
  priority: number;
  deadline: number | string | null;
  idempotency_key: string | null;
  parent_id: string | null;
  depth: number;
  attempt: number;
  max_attempts: number;
  created_at: number | string;
  updated_at: number | string;
  last_seq: number;
  spec: string;
  result: string | null;
  error: string | null;
}

interface Spec {
  v: number;
  target: TaskRecord['target'];
  input: TaskRecord['input'];
  requester: TaskRecord['requester'];
}

/** Positional values in TASK_COLUMNS order. */
export function taskValues(t: TaskRecord): (string | number | null)[] {
  const spec: Spec = { v: TASK_FORMAT_VERSION, target: t.target, input: t.input, requester: t.requester };
  return [
    t.tenant,
    t.id,
    t.state,
    targetLabel(t.target),
    'agent' in t.target ? t.target.agent : null,
    t.assignee ?? null,
    null,
    t.leaseUntil ?? null,
    t.priority,
    t.deadline ?? null,
    t.idempotencyKey ?? null,
    t.parentId ?? null,
    t.depth,
    t.attempt,
    t.maxAttempts,
    t.createdAt,
    t.updatedAt,
    t.lastSeq,
    JSON.stringify(spec),
    t.result === undefined ? null : resultJson(t.result),
    t.error === undefined ? null : errorJson(t.error),
  ];
}

export function resultJson(r: TaskResult): string {
  return JSON.stringify({ v: TASK_FORMAT_VERSION, ...r });
}

export function errorJson(e: ErrorPayload): string {
  return JSON.stringify({ v: TASK_FORMAT_VERSION, code: e.code, message: e.message });
}

export function toTask(r: TaskRow): TaskRecord {
  const spec = JSON.parse(r.spec) as Spec;
  const t: TaskRecord = {
    tenant: r.tenant,
    id: r.id,
    target: spec.target,
    input: spec.input,
    requester: spec.requester,
    priority: r.priority,
    depth: r.depth,
    state: r.state,
    attempt: r.attempt,
    maxAttempts: r.max_attempts,
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
    lastSeq: r.last_seq,
  };
  if (r.deadline !== null) t.deadline = Number(r.deadline);
  if (r.idempotency_key !== null) t.idempotencyKey = r.idempotency_key;
  if (r.parent_id !== null) t.parentId = r.parent_id;
  if (r.assignee !== null) t.assignee = r.assignee;
  if (r.lease_until !== null && r.state === 'working') t.leaseUntil = Number(r.lease_until);
  if (r.result !== null) {
    const { v: _, ...result } = JSON.parse(r.result) as TaskResult & { v: number };
    t.result = result;
  }
  if (r.error !== null) {
    const { code, message } = JSON.parse(r.error) as ErrorPayload;
    t.error = { code, message };
  }
  return t;
}

/** An event's stored JSON: everything but its seq and time, with the format version. */
export function eventJson(e: TaskEventData): string {
  return JSON.stringify({ v: TASK_FORMAT_VERSION, ...e });
}

export function toEvent(seq: number, at: number | string, data: string): TaskEvent {
  const { v: _, ...rest } = JSON.parse(data) as TaskEventData & { v: number };
  return { ...rest, seq, at: Number(at) } as TaskEvent;
}

/** The guard's states as one string that SQL tests with a substring search (`,working,` in `,submitted,working,`). */
export function guardStates(g: TaskGuard): string | null {
  return g.states === undefined ? null : `,${g.states.join(',')},`;
}

/** True when the record satisfies the guard (the memory adapter, and checks in tests). */
export function guardHolds(t: TaskRecord & { owner?: string | undefined }, g: TaskGuard): boolean {
  if (g.states !== undefined && !g.states.includes(t.state)) return false;
  if (g.attempt !== undefined && t.attempt !== g.attempt) return false;
  if (g.owner !== undefined && t.owner !== g.owner) return false;
  if (g.leaseBefore !== undefined && !(t.leaseUntil !== undefined && t.leaseUntil < g.leaseBefore)) return false;
  return true;
}

// Listing pages by keyset on id, newest first; across every tenant, rows sharing an id sort by tenant.

export interface TaskCursor {
  id: string;
  tenant: string;
}

/** Sorts after every id: ids are lowercase base 32. */
export const FIRST_TASK_PAGE: TaskCursor = { id: '\uffff', tenant: '' };

export function taskListLimit(limit: number | undefined): number {
  if (limit === undefined) return TASK_LIST_LIMIT.default;
  if (!Number.isInteger(limit) || limit < 1) {
    throw new SwiftletError('SWIFTLET_ERR_INVALID_INPUT', 'limit must be a positive integer', { field: 'limit' });
  }
  return Math.min(limit, TASK_LIST_LIMIT.max);
}

export function encodeTaskCursor(t: TaskCursor): string {
  return Buffer.from(JSON.stringify([t.id, t.tenant])).toString('base64url');
}

export function decodeTaskCursor(cursor: string | undefined): TaskCursor {
  if (cursor === undefined) return FIRST_TASK_PAGE;
  try {
    const v: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(v) && v.length === 2 && typeof v[0] === 'string' && typeof v[1] === 'string') {
      return { id: v[0], tenant: v[1] };
    }
  } catch {
    // fall through to the error below
  }
  throw new SwiftletError('SWIFTLET_ERR_INVALID_INPUT', 'cursor is not one returned by list', { field: 'cursor' });
}

/** True when the task belongs in a listing with this filter and scope (the memory adapter). */
export function taskMatches(t: TaskRecord, scope: TenantScope, f: TaskListFilter): boolean {
  if (scope !== ALL_TENANTS && t.tenant !== scope) return false;
  if (f.state !== undefined && t.state !== f.state) return false;
  if (f.parentId !== undefined && t.parentId !== f.parentId) return false;
  if (f.agent !== undefined && !('agent' in t.target && t.target.agent === f.agent) && t.assignee !== f.agent) {
    return false;
  }
  return true;
}

export function isActive(t: { state: TaskState }): boolean {
  return !isTerminal(t.state);
}
