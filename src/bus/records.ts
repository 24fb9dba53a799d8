import { SwiftletError, monotonicId, type ErrorPayload, type TaskRecord, type TaskSpec } from '../core/index.js';

// What the local bus makes of a spec, and the names it files tasks under.

export const agentTarget = (name: string): string => `agent:${name}`;
export const skillTarget = (name: string): string => `skill:${name}`;

/** The queue a task waits in: `agent:<name>`, `skill:<name>`, or `broadcast` (which no queue holds). */
export function targetKeyOf(t: TaskRecord): string {
  const target = t.target;
  return 'agent' in target ? agentTarget(target.agent) : 'skill' in target ? skillTarget(target.skill) : 'broadcast';
}

/** A new task's record, submitted, before its first event. */
export function newTaskRecord(spec: TaskSpec, now: number, depth: number, maxAttempts: number): TaskRecord {
  const t: TaskRecord = {
    tenant: spec.tenant,
    id: monotonicId('task', now),
    target: spec.target,
    input: spec.input,
    requester: spec.requester,
    priority: spec.priority ?? 0,
    depth,
    state: 'submitted',
    attempt: 0,
    maxAttempts: spec.maxAttempts ?? maxAttempts,
    createdAt: now,
    updatedAt: now,
    lastSeq: 0,
  };
  if (spec.deadline !== undefined) t.deadline = spec.deadline;
  if (spec.idempotencyKey !== undefined) t.idempotencyKey = spec.idempotencyKey;
  if (spec.parentId !== undefined) t.parentId = spec.parentId;
  return t;
}

export function notHeld(id: string, why: string): SwiftletError {
  return new SwiftletError('SWIFTLET_ERR_TASK_NOT_HELD', `task ${id} is no longer held by this consumer: ${why}`);
}

/** What a handler threw, as a task's error. */
export function errorPayload(err: unknown): ErrorPayload {
  if (SwiftletError.isInstance(err)) return { code: err.code, message: err.message };
  return { code: 'SWIFTLET_ERR_INTERNAL', message: err instanceof Error ? err.message : String(err) };
}
