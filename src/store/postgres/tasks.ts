import type { PoolClient, QueryConfig, QueryResultRow } from 'pg';
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
  CreateWrite,
  TaskListFilter,
  TaskPage,
  TaskStore,
  TaskWrite,
  TaskWriteResult,
  UpdateWrite,
} from '../tasks.js';

type Exec = <R extends QueryResultRow>(q: QueryConfig, values: unknown[]) => Promise<R[]>;

/** The session store's pool: a query on any client, or a transaction on one (both map errors through pgError). */
export interface TaskDb {
  query<R extends QueryResultRow>(what: string, q: QueryConfig, values: unknown[]): Promise<R[]>;
  transaction<T>(what: string, fn: (client: PoolClient) => Promise<T>): Promise<T>;
}

interface EventRow {
  seq: number;
  at: string;
  data: string;
}

const ARGS = TASK_COLUMNS.split(',')
  .map((_, i) => `$${i + 1}`)
  .join(', ');
const EVENTS = `$${TASK_COLUMNS.split(',').length + 1}::text[]`;
const ACTIVE = "state IN ('submitted', 'working', 'input-required')";

/**
 * Each write is one statement: its row and its events together (a data-modifying WITH), the events unnested from one
 * array and numbered by their position. Named, so that each connection parses and plans them once.
 */
const Q = {
  // Only the idempotency key is the arbiter: a repeated id is an error, not an answer. A key taken (even earlier in
  // the same call) inserts nothing, so the events insert nothing either; byKey then finds the task that has it.
  create: {
    name: 'swiftlet_task_create',
    text: `WITH t AS (
             INSERT INTO tasks (${TASK_COLUMNS}) VALUES (${ARGS})
             ON CONFLICT (tenant, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
             RETURNING tenant, id, updated_at, last_seq
           ), ev AS (
             INSERT INTO task_events (tenant, task_id, seq, at, data)
             SELECT t.tenant, t.id, t.last_seq - cardinality(${EVENTS}) + x.n, t.updated_at, x.data
             FROM t, unnest(${EVENTS}) WITH ORDINALITY AS x(data, n)
           )
           SELECT last_seq FROM t`,
  },
  byKey: {
    name: 'swiftlet_task_by_key',
    text: `SELECT ${TASK_COLUMNS} FROM tasks WHERE tenant = $1 AND idempotency_key = $2`,
  },
  // A NULL guard or change leaves its column alone; $6 and $8 say whether owner and lease_until are set (to NULL too).
  update: {
    name: 'swiftlet_task_update',
    text: `WITH u AS (
             UPDATE tasks SET
               state = COALESCE($3::text, state),
               attempt = COALESCE($4::integer, attempt),
               assignee = COALESCE($5::text, assignee),
               owner = CASE WHEN $6::boolean THEN $7::text ELSE owner END,
               lease_until = CASE WHEN $8::boolean THEN $9::bigint ELSE lease_until END,
               result = COALESCE($10::text, result),
               error = COALESCE($11::text, error),
               updated_at = GREATEST(updated_at, $12::bigint),
               last_seq = last_seq + cardinality($13::text[])
             WHERE tenant = $1 AND id = $2
               AND ($14::text[] IS NULL OR state = ANY($14::text[]))
               AND ($15::integer IS NULL OR attempt = $15::integer)
               AND ($16::text IS NULL OR owner = $16::text)
               AND ($17::bigint IS NULL OR lease_until < $17::bigint)
             RETURNING last_seq
           ), ev AS (
             INSERT INTO task_events (tenant, task_id, seq, at, data)
             SELECT $1, $2, u.last_seq - cardinality($13::text[]) + x.n, $12::bigint, x.data
             FROM u, unnest($13::text[]) WITH ORDINALITY AS x(data, n)
           )
           SELECT last_seq FROM u`,
  },
  get: { name: 'swiftlet_task_get', text: `SELECT ${TASK_COLUMNS} FROM tasks WHERE tenant = $1 AND id = $2` },
  // LIMIT NULL means no limit.
  events: {
    name: 'swiftlet_task_events',
    text: `SELECT seq, at, data FROM task_events WHERE tenant = $1 AND task_id = $2 AND seq > $3
           ORDER BY seq LIMIT $4`,
  },
  children: {
    name: 'swiftlet_task_children',
    text: `SELECT ${TASK_COLUMNS} FROM tasks WHERE tenant = $1 AND parent_id = $2 ORDER BY id`,
  },
  active: {
    name: 'swiftlet_task_active',
    text: `SELECT ${TASK_COLUMNS} FROM tasks WHERE ${ACTIVE} AND id > $1 ORDER BY id LIMIT $2`,
  },
} satisfies Record<string, QueryConfig>;

/** Task records in the session store's PostgreSQL schema (migration 5). Writes of one call share one transaction. */
export class PostgresTaskStore implements TaskStore {
  #db: TaskDb;

  constructor(db: TaskDb) {
    this.#db = db;
  }

  async write(writes: readonly TaskWrite[]): Promise<TaskWriteResult[]> {
    if (writes.length === 0) return [];
    if (writes.length === 1) {
      // One statement is a transaction of its own: no BEGIN and COMMIT round trips.
      return [await apply((q, values) => this.#db.query('task write', q, values), writes[0]!)];
    }
    return this.#db.transaction('task write', async (client) => {
      const exec: Exec = async (q, values) => (await client.query({ ...q, values })).rows;
      const results: TaskWriteResult[] = [];
      for (const w of writes) results.push(await apply(exec, w));
      return results;
    });
  }

  async get(tenant: string, id: string): Promise<TaskRecord | undefined> {
    const rows = await this.#db.query<TaskRow>('task get', Q.get, [tenant, id]);
    return rows[0] && toTask(rows[0]);
  }

  async events(tenant: string, id: string, afterSeq = 0, limit = -1): Promise<TaskEvent[]> {
    const values = [tenant, id, afterSeq, limit < 0 ? null : limit];
    const rows = await this.#db.query<EventRow>('task events', Q.events, values);
    return rows.map((r) => toEvent(r.seq, r.at, r.data));
  }

  async list(scope: TenantScope, filter: TaskListFilter = {}): Promise<TaskPage> {
    const limit = taskListLimit(filter.limit);
    const c = decodeTaskCursor(filter.cursor);
    const { q, values } = listQuery(scope, filter, c.id, c.tenant, limit + 1);
    const rows = await this.#db.query<TaskRow>('task list', q, values);
    const tasks = rows.slice(0, limit).map(toTask);
    const last = tasks[tasks.length - 1];
    return { tasks, ...(rows.length > limit && last ? { nextCursor: encodeTaskCursor(last) } : {}) };
  }

  async children(tenant: string, parentId: string): Promise<TaskRecord[]> {
    return (await this.#db.query<TaskRow>('task children', Q.children, [tenant, parentId])).map(toTask);
  }

  async active(afterId: string, limit: number): Promise<TaskRecord[]> {
    return (await this.#db.query<TaskRow>('task active', Q.active, [afterId, limit])).map(toTask);
  }
}

function apply(exec: Exec, w: TaskWrite): Promise<TaskWriteResult> {
  return w.op === 'create' ? create(exec, w) : update(exec, w);
}

async function create(exec: Exec, w: CreateWrite): Promise<TaskWriteResult> {
  const t = w.task;
  const lastSeq = t.lastSeq + w.events.length;
  const values = [...taskValues({ ...t, lastSeq }), w.events.map(eventJson)];
  if ((await exec<{ last_seq: number }>(Q.create, values)).length > 0) return { ok: true, lastSeq };
  // Refused by its key. Own statement, so own snapshot: it sees a conflicting task committed while the insert ran.
  const [existing] = await exec<TaskRow>(Q.byKey, [t.tenant, t.idempotencyKey ?? null]);
  return existing ? { ok: false, existing: toTask(existing) } : { ok: false };
}

async function update(exec: Exec, w: UpdateWrite): Promise<TaskWriteResult> {
  const { set, guard } = w;
  const rows = await exec<{ last_seq: number }>(Q.update, [
    w.tenant,
    w.id,
    set.state ?? null,
    set.attempt ?? null,
    set.assignee ?? null,
    set.owner !== undefined,
    set.owner ?? null,
    set.leaseUntil !== undefined,
    set.leaseUntil ?? null,
    set.result === undefined ? null : resultJson(set.result),
    set.error === undefined ? null : errorJson(set.error),
    w.at,
    w.events.map(eventJson),
    guard.states ?? null,
    guard.attempt ?? null,
    guard.owner ?? null,
    guard.leaseBefore ?? null,
  ]);
  const row = rows[0];
  return row ? { ok: true, lastSeq: row.last_seq } : { ok: false };
}

/**
 * Newest first, by keyset on id (across every tenant, rows sharing an id sort by tenant). One statement per set of
 * filters given, each named, so that each is planned for its own index (parent_id's, or the primary key's range).
 */
function listQuery(
  scope: TenantScope,
  f: TaskListFilter,
  id: string,
  tenant: string,
  limit: number,
): { q: QueryConfig; values: unknown[] } {
  const values: unknown[] = [];
  const arg = (v: unknown): string => `$${values.push(v)}`;
  const where: string[] = [];
  let name = 'swiftlet_task_list';
  if (scope === ALL_TENANTS) {
    const c = arg(id);
    where.push(`(id < ${c} OR (id = ${c} AND tenant > ${arg(tenant)}))`);
    name += '_all';
  } else {
    where.push(`tenant = ${arg(scope)}`, `id < ${arg(id)}`);
  }
  if (f.state !== undefined) {
    where.push(`state = ${arg(f.state)}`);
    name += '_state';
  }
  if (f.agent !== undefined) {
    const a = arg(f.agent);
    where.push(`(agent = ${a} OR assignee = ${a})`);
    name += '_agent';
  }
  if (f.parentId !== undefined) {
    where.push(`parent_id = ${arg(f.parentId)}`);
    name += '_parent';
  }
  const order = scope === ALL_TENANTS ? 'id DESC, tenant' : 'id DESC';
  const text = `SELECT ${TASK_COLUMNS} FROM tasks WHERE ${where.join(' AND ')} ORDER BY ${order} LIMIT ${arg(limit)}`;
  return { q: { name, text }, values };
}
