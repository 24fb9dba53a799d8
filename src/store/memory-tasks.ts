import { type TaskEvent, type TaskRecord, type TenantScope, sessionKeyString } from '../core/index.js';
import { decodeTaskCursor, encodeTaskCursor, guardHolds, isActive, taskListLimit, taskMatches } from './task-rows.js';
import type { TaskListFilter, TaskPage, TaskStore, TaskWrite, TaskWriteResult } from './tasks.js';
import { ALL_TENANTS } from '../core/index.js';

interface Stored {
  task: TaskRecord;
  owner: string | undefined;
  events: TaskEvent[];
}

/** Task records in Maps, for `driver: memory` and tests. Records are cloned in and out, as the SQL adapters copy. */
export class MemoryTaskStore implements TaskStore {
  #tasks = new Map<string, Stored>();
  #keys = new Map<string, string>();

  async write(writes: readonly TaskWrite[]): Promise<TaskWriteResult[]> {
    return writes.map((w) => {
      if (w.op === 'create') {
        const t = w.task;
        if (t.idempotencyKey !== undefined) {
          const id = this.#keys.get(sessionKeyString(t.tenant, t.idempotencyKey));
          const existing = id === undefined ? undefined : this.#tasks.get(sessionKeyString(t.tenant, id));
          if (existing) return { ok: false, existing: structuredClone(existing.task) };
          this.#keys.set(sessionKeyString(t.tenant, t.idempotencyKey), t.id);
        }
        const s: Stored = { task: structuredClone(t), owner: undefined, events: [] };
        this.#tasks.set(sessionKeyString(t.tenant, t.id), s);
        append(s, w.events, t.updatedAt);
        return { ok: true, lastSeq: s.task.lastSeq };
      }
      const s = this.#tasks.get(sessionKeyString(w.tenant, w.id));
      if (!s || !guardHolds({ ...s.task, owner: s.owner }, w.guard)) return { ok: false };
      const t = s.task;
      const c = w.set;
      if (c.state !== undefined) t.state = c.state;
      if (c.attempt !== undefined) t.attempt = c.attempt;
      if (c.assignee !== undefined) t.assignee = c.assignee;
      if (c.owner !== undefined) s.owner = c.owner ?? undefined;
      if (c.leaseUntil === null) delete t.leaseUntil;
      else if (c.leaseUntil !== undefined) t.leaseUntil = c.leaseUntil;
      if (c.result !== undefined) t.result = structuredClone(c.result);
      if (c.error !== undefined) t.error = { ...c.error };
      t.updatedAt = Math.max(t.updatedAt, w.at);
      append(s, w.events, w.at);
      return { ok: true, lastSeq: t.lastSeq };
    });
  }

  async get(tenant: string, id: string): Promise<TaskRecord | undefined> {
    const s = this.#tasks.get(sessionKeyString(tenant, id));
    return s && view(s);
  }

  async events(tenant: string, id: string, afterSeq = 0, limit = -1): Promise<TaskEvent[]> {
    const s = this.#tasks.get(sessionKeyString(tenant, id));
    if (!s) return [];
    const after = s.events.filter((e) => e.seq > afterSeq);
    return structuredClone(limit < 0 ? after : after.slice(0, limit));
  }

  async list(scope: TenantScope, filter: TaskListFilter = {}): Promise<TaskPage> {
    const limit = taskListLimit(filter.limit);
    const c = decodeTaskCursor(filter.cursor);
    const all = scope === ALL_TENANTS;
    const rows = [...this.#tasks.values()]
      .map((s) => s.task)
      .filter((t) => taskMatches(t, scope, filter) && (t.id < c.id || (all && t.id === c.id && t.tenant > c.tenant)))
      .sort((a, b) => (a.id === b.id ? (a.tenant < b.tenant ? -1 : 1) : a.id < b.id ? 1 : -1));
    const tasks = rows.slice(0, limit).map((t) => this.#view(t));
    const last = tasks[tasks.length - 1];
    return { tasks, ...(rows.length > limit && last ? { nextCursor: encodeTaskCursor(last) } : {}) };
  }

  async children(tenant: string, parentId: string): Promise<TaskRecord[]> {
    return [...this.#tasks.values()]
      .filter((s) => s.task.tenant === tenant && s.task.parentId === parentId)
      .sort((a, b) => (a.task.id < b.task.id ? -1 : 1))
      .map(view);
  }

  async active(afterId: string, limit: number): Promise<TaskRecord[]> {
    return [...this.#tasks.values()]
      .filter((s) => isActive(s.task) && s.task.id > afterId)
      .sort((a, b) => (a.task.id < b.task.id ? -1 : 1))
      .slice(0, limit)
      .map(view);
  }

  #view(t: TaskRecord): TaskRecord {
    return view(this.#tasks.get(sessionKeyString(t.tenant, t.id))!);
  }
}

function append(s: Stored, events: TaskWrite['events'], at: number): void {
  for (const e of events) s.events.push({ ...structuredClone(e), seq: ++s.task.lastSeq, at } as TaskEvent);
}

function view(s: Stored): TaskRecord {
  const t = structuredClone(s.task);
  if (t.state !== 'working') delete t.leaseUntil;
  return t;
}
