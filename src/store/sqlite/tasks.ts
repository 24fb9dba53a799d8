import type BetterSqlite3 from 'better-sqlite3';
import { ALL_TENANTS, type TaskEvent, type TaskRecord, type TenantScope } from '../../core/index.js';
import {
  TASK_COLUMNS,
  decodeTaskCursor,
  encodeTaskCursor,
  errorJson,
  eventJson,
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
    const updates = new UpdateStatements(db);
    this.#s = s;
    this.#run = run;
    this.#write = db.transaction((writes: readonly TaskWrite[]) =>
      writes.map((w) => (w.op === 'create' ? create(s, w) : update(s, updates, w))),
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

function update(s: Statements, updates: UpdateStatements, w: UpdateWrite): TaskWriteResult {
  const { set, guard } = w;
  // Positional values in the order UpdateStatements.sql names the columns and conditions of this shape.
  const values: (string | number | null)[] = [];
  if (set.state !== undefined) values.push(set.state);
  if (set.attempt !== undefined) values.push(set.attempt);
  if (set.assignee !== undefined) values.push(set.assignee);
  if (set.owner !== undefined) values.push(set.owner);
  if (set.leaseUntil !== undefined) values.push(set.leaseUntil);
  if (set.result !== undefined) values.push(resultJson(set.result));
  if (set.error !== undefined) values.push(errorJson(set.error));
  values.push(w.at, w.events.length, w.tenant, w.id);
  if (guard.states !== undefined) values.push(...guard.states);
  if (guard.attempt !== undefined) values.push(guard.attempt);
  if (guard.owner !== undefined) values.push(guard.owner);
  if (guard.leaseBefore !== undefined) values.push(guard.leaseBefore);
  const row = updates.for(w).get(values) as { last_seq: number } | undefined;
  if (!row) return { ok: false };
  appendEvents(s, w.tenant, w.id, row.last_seq - w.events.length, w.at, w.events);
  return { ok: true, lastSeq: row.last_seq };
}

/**
 * One prepared UPDATE per shape of write (which columns it sets, which conditions it guards on, how many states),
 * each naming only its own columns with positional parameters. A generic statement (every column through COALESCE
 * or CASE, every condition behind `? IS NULL OR`, 17 named parameters) cost about 30% more per update, and a bus
 * makes a handful of shapes (claim, progress, artifact, complete, release, end), so the cache stays small.
 */
class UpdateStatements {
  #db: BetterSqlite3.Database;
  #byShape = new Map<string, BetterSqlite3.Statement<unknown[]>>();

  constructor(db: BetterSqlite3.Database) {
    this.#db = db;
  }

  for(w: UpdateWrite): BetterSqlite3.Statement<unknown[]> {
    const { set, guard } = w;
    const key =
      `${+(set.state !== undefined)}${+(set.attempt !== undefined)}${+(set.assignee !== undefined)}` +
      `${+(set.owner !== undefined)}${+(set.leaseUntil !== undefined)}${+(set.result !== undefined)}` +
      `${+(set.error !== undefined)}:${guard.states?.length ?? '-'}${+(guard.attempt !== undefined)}` +
      `${+(guard.owner !== undefined)}${+(guard.leaseBefore !== undefined)}`;
    let stmt = this.#byShape.get(key);
    if (!stmt) this.#byShape.set(key, (stmt = this.#db.prepare(UpdateStatements.sql(w))));
    return stmt;
  }

  static sql({ set, guard }: UpdateWrite): string {
    const columns: string[] = [];
    if (set.state !== undefined) columns.push('state = ?');
    if (set.attempt !== undefined) columns.push('attempt = ?');
    if (set.assignee !== undefined) columns.push('assignee = ?');
    if (set.owner !== undefined) columns.push('owner = ?');
    if (set.leaseUntil !== undefined) columns.push('lease_until = ?');
    if (set.result !== undefined) columns.push('result = ?');
    if (set.error !== undefined) columns.push('error = ?');
    columns.push('updated_at = MAX(updated_at, ?)', 'last_seq = last_seq + ?');
    const where = ['tenant = ?', 'id = ?'];
    if (guard.states !== undefined) {
      where.push(guard.states.length === 0 ? '0' : `state IN (${guard.states.map(() => '?').join(', ')})`);
    }
    if (guard.attempt !== undefined) where.push('attempt = ?');
    if (guard.owner !== undefined) where.push('owner = ?');
    if (guard.leaseBefore !== undefined) where.push('lease_until < ?');
    return `UPDATE tasks SET ${columns.join(', ')} WHERE ${where.join(' AND ')} RETURNING last_seq`;
  }
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
    // Without statistics the planner prefers scanning the tenant's primary-key range (already in id order) to the
    // partial index: a read of every task of the tenant per call, which made each broadcast child's end O(tasks).
    children: db.prepare<[string, string]>(
      `SELECT ${TASK_COLUMNS} FROM tasks INDEXED BY tasks_by_parent WHERE tenant = ? AND parent_id = ? ORDER BY id`,
    ),
    active: db.prepare<[string, number]>(
      `SELECT ${TASK_COLUMNS} FROM tasks
       WHERE state IN ('submitted', 'working', 'input-required') AND id > ? ORDER BY id LIMIT ?`,
    ),
  };
}
