import type BetterSqlite3 from 'better-sqlite3';
import { ALL_TENANTS, type TaskEvent, type TaskRecord, type TenantScope } from '../../core/index.js';
import {
  TASK_COLUMNS,
  decodeTaskCursor,
  encodeTaskCursor,
  errorJson,
  eventJson,
  guardStates,
  resultJson,
  taskListLimit,
  taskValues,
  toEvent,
  toTask,
  type TaskRow,
} from '../task-rows.js';
import type {
  TaskListFilter,
  TaskPage,
  TaskStore,
  TaskWrite,
  TaskWriteResult,
  UpdateWrite,
  CreateWrite,
} from '../tasks.js';

type Run = <T>(what: string, fn: () => T) => T;

/** Task records in the session store's SQLite database (migration 5). Writes of one call share one transaction. */
export class SqliteTaskStore implements TaskStore {
  #s: ReturnType<typeof prepare>;
  #run: Run;
  #write: BetterSqlite3.Transaction<(writes: readonly TaskWrite[]) => TaskWriteResult[]>;

  constructor(db: BetterSqlite3.Database, run: Run) {
    const s = prepare(db);
    this.#s = s;
    this.#run = run;
    this.#write = db.transaction((writes: readonly TaskWrite[]) =>
      writes.map((w) => (w.op === 'create' ? create(s, w) : update(s, w))),
    );
  }

  async write(writes: readonly TaskWrite[]): Promise<TaskWriteResult[]> {
    if (writes.length === 0) return [];
    return this.#run('task write', () => this.#write.immediate(writes));
  }

  async get(tenant: string, id: string): Promise<TaskRecord | undefined> {
    const row = this.#run('task get', () => this.#s.get.get(tenant, id) as TaskRow | undefined);
    return row && toTask(row);
  }

  async events(tenant: string, id: string, afterSeq = 0, limit = -1): Promise<TaskEvent[]> {
    const rows = this.#run(
      'task events',
      () => this.#s.events.all(tenant, id, afterSeq, limit) as { seq: number; at: number; data: string }[],
    );
    return rows.map((r) => toEvent(r.seq, r.at, r.data));
  }

  async list(scope: TenantScope, filter: TaskListFilter = {}): Promise<TaskPage> {
    const limit = taskListLimit(filter.limit);
    const c = decodeTaskCursor(filter.cursor);
    const f = {
      state: filter.state ?? null,
      agent: filter.agent ?? null,
      parent: filter.parentId ?? null,
      id: c.id,
      ctenant: c.tenant,
      limit: limit + 1,
    };
    const rows = this.#run('task list', () =>
      scope === ALL_TENANTS ? this.#s.listAll.all(f) : this.#s.list.all({ ...f, tenant: scope }),
    ) as TaskRow[];
    const tasks = rows.slice(0, limit).map(toTask);
    const last = tasks[tasks.length - 1];
    return { tasks, ...(rows.length > limit && last ? { nextCursor: encodeTaskCursor(last) } : {}) };
  }

  async children(tenant: string, parentId: string): Promise<TaskRecord[]> {
    return this.#run('task children', () => this.#s.children.all(tenant, parentId) as TaskRow[]).map(toTask);
  }

  async active(afterId: string, limit: number): Promise<TaskRecord[]> {
    return this.#run('task active', () => this.#s.active.all(afterId, limit) as TaskRow[]).map(toTask);
  }
}

function create(s: Statements, w: CreateWrite): TaskWriteResult {
  const t = w.task;
  if (t.idempotencyKey !== undefined) {
    const existing = s.byKey.get(t.tenant, t.idempotencyKey) as TaskRow | undefined;
    if (existing) return { ok: false, existing: toTask(existing) };
  }
  const lastSeq = t.lastSeq;
  s.insert.run(...taskValues({ ...t, lastSeq: lastSeq + w.events.length }));
  appendEvents(s, t.tenant, t.id, lastSeq, t.updatedAt, w.events);
  return { ok: true, lastSeq: lastSeq + w.events.length };
}

function update(s: Statements, w: UpdateWrite): TaskWriteResult {
  const { set, guard } = w;
  const row = s.update.get({
    state: set.state ?? null,
    attempt: set.attempt ?? null,
    assignee: set.assignee ?? null,
    setOwner: set.owner === undefined ? 0 : 1,
    owner: set.owner ?? null,
    setLease: set.leaseUntil === undefined ? 0 : 1,
    lease: set.leaseUntil ?? null,
    result: set.result === undefined ? null : resultJson(set.result),
    error: set.error === undefined ? null : errorJson(set.error),
    at: w.at,
    n: w.events.length,
    tenant: w.tenant,
    id: w.id,
    gStates: guardStates(guard),
    gAttempt: guard.attempt ?? null,
    gOwner: guard.owner ?? null,
    gLease: guard.leaseBefore ?? null,
  }) as { last_seq: number } | undefined;
  if (!row) return { ok: false };
  appendEvents(s, w.tenant, w.id, row.last_seq - w.events.length, w.at, w.events);
  return { ok: true, lastSeq: row.last_seq };
}

function appendEvents(
  s: Statements,
  tenant: string,
  id: string,
  afterSeq: number,
  at: number,
  events: CreateWrite['events'],
): void {
  let seq = afterSeq;
  for (const e of events) s.insertEvent.run(tenant, id, ++seq, at, eventJson(e));
}

type Statements = ReturnType<typeof prepare>;

function prepare(db: BetterSqlite3.Database) {
  const filters = `(@state IS NULL OR state = @state) AND (@agent IS NULL OR agent = @agent OR assignee = @agent)
    AND (@parent IS NULL OR parent_id = @parent)`;
  return {
    insert: db.prepare(`INSERT INTO tasks (${TASK_COLUMNS}) VALUES (${TASK_COLUMNS.split(',').map(() => '?')})`),
    byKey: db.prepare<[string, string]>(`SELECT ${TASK_COLUMNS} FROM tasks WHERE tenant = ? AND idempotency_key = ?`),
    update: db.prepare(
      `UPDATE tasks SET
         state = COALESCE(@state, state),
         attempt = COALESCE(@attempt, attempt),
         assignee = COALESCE(@assignee, assignee),
         owner = CASE WHEN @setOwner THEN @owner ELSE owner END,
         lease_until = CASE WHEN @setLease THEN @lease ELSE lease_until END,
         result = COALESCE(@result, result),
         error = COALESCE(@error, error),
         updated_at = MAX(updated_at, @at),
         last_seq = last_seq + @n
       WHERE tenant = @tenant AND id = @id
         AND (@gStates IS NULL OR instr(@gStates, ',' || state || ',') > 0)
         AND (@gAttempt IS NULL OR attempt = @gAttempt)
         AND (@gOwner IS NULL OR owner = @gOwner)
         AND (@gLease IS NULL OR lease_until < @gLease)
       RETURNING last_seq`,
    ),
    insertEvent: db.prepare<[string, string, number, number, string]>(
      'INSERT INTO task_events (tenant, task_id, seq, at, data) VALUES (?, ?, ?, ?, ?)',
    ),
    get: db.prepare<[string, string]>(`SELECT ${TASK_COLUMNS} FROM tasks WHERE tenant = ? AND id = ?`),
    events: db.prepare<[string, string, number, number]>(
      'SELECT seq, at, data FROM task_events WHERE tenant = ? AND task_id = ? AND seq > ? ORDER BY seq LIMIT ?',
    ),
    list: db.prepare(
      `SELECT ${TASK_COLUMNS} FROM tasks WHERE tenant = @tenant AND id < @id AND ${filters}
       ORDER BY id DESC LIMIT @limit`,
    ),
    listAll: db.prepare(
      `SELECT ${TASK_COLUMNS} FROM tasks WHERE (id < @id OR (id = @id AND tenant > @ctenant)) AND ${filters}
       ORDER BY id DESC, tenant LIMIT @limit`,
    ),
    children: db.prepare<[string, string]>(
      `SELECT ${TASK_COLUMNS} FROM tasks WHERE tenant = ? AND parent_id = ? ORDER BY id`,
    ),
    active: db.prepare<[string, number]>(
      `SELECT ${TASK_COLUMNS} FROM tasks
       WHERE state IN ('submitted', 'working', 'input-required') AND id > ? ORDER BY id LIMIT ?`,
    ),
  };
}
