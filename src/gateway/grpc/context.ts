// What every broker call sees: the bus, the key check, the assignments Subscribe streams hold (for the unary reports
// on them), and who the caller is.
import type { Metadata } from '@grpc/grpc-js';
import type { Assignment, TaskBus } from '../../bus/index.js';
import { SwiftletError, type TaskRecord } from '../../core/index.js';
import type { KeyAuthenticate } from '../auth.js';
import type { Caller } from '../types.js';
import { checkName, invalid } from './convert.js';
import type { Grpc } from './status.js';

/** An assignment a Subscribe stream received and has not reported the end of. */
export interface Holding {
  /** Whose stream holds it: reports on it are taken from this caller only. */
  readonly owner: string;
  readonly assignment: Assignment;
  /** Acknowledged (by an Ack or any report): no longer released for want of one. */
  ack(): void;
  /** Forgets it, in its stream and here; the assignment itself is left as it is. */
  forget(): void;
}

export interface BrokerContext {
  readonly grpc: Grpc;
  readonly bus: TaskBus;
  readonly authenticate: KeyAuthenticate;
  readonly leaseMs: number;
  readonly ackTimeoutMs: number;
  readonly maxInFlight: number;
  readonly onError: (err: unknown) => void;
  readonly holdings: Holdings;
  /** The open Subscribe streams, ended first when the server closes. */
  readonly streams: Set<{ shutdown(): Promise<void> }>;
}

/** The assignments held by every open Subscribe stream, by caller and task id. */
export class Holdings {
  #held = new Map<string, Holding>();

  add(h: Holding): void {
    this.#held.set(keyOf(h.owner, h.assignment.task.id), h);
  }

  delete(h: Holding): void {
    const key = keyOf(h.owner, h.assignment.task.id);
    if (this.#held.get(key) === h) this.#held.delete(key);
  }

  /** The caller's holding of the task; SWIFTLET_ERR_TASK_NOT_HELD when none of its streams holds it. */
  require(caller: Caller, taskId: string): Holding {
    if (taskId === '') throw invalid('task_id', 'required');
    const h = this.#held.get(keyOf(ownerOf(caller), taskId));
    if (!h) {
      throw new SwiftletError(
        'SWIFTLET_ERR_TASK_NOT_HELD',
        `task ${taskId} is not held by a Subscribe stream of this caller (never assigned to it, already ended, ` +
          'canceled, past its deadline, or its lease lapsed)',
      );
    }
    return h;
  }
}

const keyOf = (owner: string, taskId: string): string => `${owner}\n${taskId}`;

/** Who holds: the API key by name, or `local` without keys. */
export function ownerOf(caller: Caller): string {
  return caller.key ? `key:${caller.key.name}` : 'local';
}

/** The caller named by the call's `authorization` metadata; throws UNAUTHORIZED or RATE_LIMITED. */
export function callerOf(ctx: BrokerContext, metadata: Metadata): Caller {
  const value = metadata.get('authorization')[0];
  const r = ctx.authenticate.bearer(typeof value === 'string' ? value : undefined);
  if (SwiftletError.isInstance(r)) throw r;
  return r;
}

/** The tenant a read or cancel reaches: the caller's own, or (admin keys only) the one it names. */
export function tenantOf(caller: Caller, named: string): string {
  if (named === '' || named === caller.tenant) return caller.tenant;
  checkName(named, 'tenant');
  if (!caller.admin) {
    throw new SwiftletError('SWIFTLET_ERR_FORBIDDEN', 'tenant: only an admin key may name another tenant', {
      field: 'tenant',
    });
  }
  return named;
}

/** A key with an agent list sees the tasks addressed to one of its agents or taken by one. */
export function visible(caller: Caller, task: TaskRecord): boolean {
  const allowed = caller.key?.agents;
  if (!allowed) return true;
  return ('agent' in task.target && allowed.includes(task.target.agent)) || allowed.includes(task.assignee ?? '');
}

/** The task, if the caller may see it; else NOT_FOUND, the same for another tenant's task as for no task at all. */
export async function visibleTask(ctx: BrokerContext, caller: Caller, tenant: string, id: string): Promise<TaskRecord> {
  if (id === '') throw invalid('task_id', 'required');
  const task = await ctx.bus.tasks.get(tenant, id);
  if (!task || !visible(caller, task)) {
    throw new SwiftletError('SWIFTLET_ERR_TASK_NOT_FOUND', `no task ${id}`, { field: 'task_id' });
  }
  return task;
}
