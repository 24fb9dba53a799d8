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
  TaskChange,
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
/** Each column's type, in TASK_COLUMNS order, for the batched statements' unnest. */
const COLUMN_TYPES = [
  'text', 'text', 'text', 'text', 'text', 'text', 'text', 'bigint', 'integer', 'bigint', 'text', 'text',
  'integer', 'integer', 'integer', 'bigint', 'bigint', 'integer', 'text', 'text', 'text',
]; // prettier-ignore
const COLUMNS = TASK_COLUMNS.split(',').map((c) => c.trim());
const N = COLUMNS.length;
const EVENTS = `$${TASK_COLUMNS.split(',').length + 1}::text[]`;

/** The CTEs of a multi-row create: `v` the rows, `t` those inserted (a key already taken inserts nothing). */
const CREATE_MANY = `v AS (
             SELECT * FROM unnest(${COLUMN_TYPES.map((t, i) => `$${i + 1}::${t}[]`).join(', ')}) AS v(${TASK_COLUMNS})
           ), t AS (
             INSERT INTO tasks (${TASK_COLUMNS}) SELECT ${TASK_COLUMNS} FROM v
             ON CONFLICT (tenant, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
             RETURNING tenant, id
           ), ev AS (
             INSERT INTO task_events (tenant, task_id, seq, at, data)
             SELECT t.tenant, t.id, e.seq, e.at, e.data
             FROM unnest($${N + 1}::text[], $${N + 2}::text[], $${N + 3}::integer[], $${N + 4}::bigint[], $${N + 5}::text[])
               AS e(tenant, id, seq, at, data)
             JOIN t ON t.tenant = e.tenant COLLATE "C" AND t.id = e.id COLLATE "C"
           )`;
const CREATE_PARAMS = N + 5;

/** The CTEs of a multi-row guarded update (`uv` the rows, `u` those whose guard held), its parameters from $(offset+1). */
const UPDATE_MANY = (offset: number): string =>
  `uv AS (
             SELECT * FROM unnest($1::integer[], $2::text[], $3::text[], $4::text[], $5::integer[], $6::text[],
               $7::boolean[], $8::text[], $9::boolean[], $10::bigint[], $11::text[], $12::text[], $13::bigint[],
               $14::integer[], $15::text[], $16::integer[], $17::text[], $18::bigint[])
               AS uv(i, tenant, id, state, attempt, assignee, set_owner, owner, set_lease, lease_until, result, error,
                    at, events, g_states, g_attempt, g_owner, g_lease_before)
           ), u AS (
             UPDATE tasks tk SET
               state = COALESCE(uv.state, tk.state),
               attempt = COALESCE(uv.attempt, tk.attempt),
               assignee = COALESCE(uv.assignee, tk.assignee),
               owner = CASE WHEN uv.set_owner THEN uv.owner ELSE tk.owner END,
               lease_until = CASE WHEN uv.set_lease THEN uv.lease_until ELSE tk.lease_until END,
               result = COALESCE(uv.result, tk.result),
               error = COALESCE(uv.error, tk.error),
               updated_at = GREATEST(tk.updated_at, uv.at),
               last_seq = tk.last_seq + uv.events
             FROM uv
             WHERE tk.tenant = uv.tenant COLLATE "C" AND tk.id = uv.id COLLATE "C"
               AND (uv.g_states IS NULL OR tk.state = ANY(string_to_array(uv.g_states, ',')))
               AND (uv.g_attempt IS NULL OR tk.attempt = uv.g_attempt)
               AND (uv.g_owner IS NULL OR tk.owner = uv.g_owner)
               AND (uv.g_lease_before IS NULL OR tk.lease_until < uv.g_lease_before)
             RETURNING uv.i, tk.tenant, tk.id, tk.last_seq, uv.events, uv.at
           ), uev AS (
             INSERT INTO task_events (tenant, task_id, seq, at, data)
             SELECT u.tenant, u.id, u.last_seq - u.events + e.n, u.at, e.data
             FROM unnest($19::integer[], $20::integer[], $21::text[]) AS e(i, n, data)
             JOIN u ON u.i = e.i
           )`.replace(/\$(\d+)/g, (_, n: string) => `$${Number(n) + offset}`);

const ACTIVE = "state IN ('submitted', 'working', 'input-required')";

/**
 * A write's row and its events go in one statement (a data-modifying WITH), the events unnested from one array and
 * numbered by their position; the *Many statements do the same for many tasks at once. Named, so that each connection
 * parses and plans them once.
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
  // Batches: many tasks in one statement, each at most once (see writeBatched). Columns and events come as arrays.
  createMany: {
    name: 'swiftlet_task_create_many',
    text: `WITH ${CREATE_MANY} SELECT tenant, id FROM t`,
  },
  updateMany: {
    name: 'swiftlet_task_update_many',
    text: `WITH ${UPDATE_MANY(0)} SELECT i, last_seq FROM u`,
  },
  // Both in one statement (one round trip, and atomic without BEGIN and COMMIT): creates' rows have an id, updates' an i.
  createUpdateMany: {
    name: 'swiftlet_task_create_update_many',
    text: `WITH ${CREATE_MANY}, ${UPDATE_MANY(CREATE_PARAMS)}
           SELECT tenant, id, NULL::integer AS i, NULL::integer AS last_seq FROM t
           UNION ALL SELECT NULL, NULL, i, last_seq FROM u`,
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

  /**
   * The writes in a few statements rather than one each. Writes to different tasks commute (a guard reads its own row
   * only), so the order that matters is each task's own: the k-th write to a task goes in round k, and each round is
   * one statement. One round (the usual group commit: each task written once) is that statement alone; more rounds
   * share a transaction.
   */
  async write(writes: readonly TaskWrite[]): Promise<TaskWriteResult[]> {
    if (writes.length === 0) return [];
    const results: TaskWriteResult[] = new Array<TaskWriteResult>(writes.length);
    const rounds = roundsOf(writes);
    if (rounds.length === 1) {
      await writeRound((q, values) => this.#db.query('task write', q, values), writes, rounds[0]!, results);
      return results;
    }
    return this.#db.transaction('task write', async (client) => {
      const exec: Exec = async (q, values) => (await client.query({ ...q, values })).rows;
      for (const round of rounds) await writeRound(exec, writes, round, results);
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

/** The write to a task at most once per round: the k-th write to a task goes in round k (see write). */
function roundsOf(writes: readonly TaskWrite[]): number[][] {
  const rounds: number[][] = [];
  const seen = new Map<string, number>();
  writes.forEach((w, i) => {
    const key = w.op === 'create' ? `${w.task.tenant}\u0000${w.task.id}` : `${w.tenant}\u0000${w.id}`;
    const r = seen.get(key) ?? 0;
    seen.set(key, r + 1);
    (rounds[r] ??= []).push(i);
  });
  return rounds;
}

/**
 * One round (each task in it once) in one statement: its creates, its updates, or both together. A single statement
 * is atomic, so a call of one round needs no BEGIN and COMMIT round trips.
 */
async function writeRound(
  exec: Exec,
  writes: readonly TaskWrite[],
  round: readonly number[],
  results: TaskWriteResult[],
): Promise<void> {
  const creates = round.filter((i) => writes[i]!.op === 'create');
  const updates = round.filter((i) => writes[i]!.op === 'update');
  if (creates.length + updates.length === 1) {
    const i = round[0]!;
    results[i] = await apply(exec, writes[i]!);
    return;
  }
  const c = creates.length > 0 ? createValues(writes, creates) : undefined;
  const u = updates.length > 0 ? updateValues(writes, updates) : undefined;
  type Row = { tenant: string | null; id: string | null; i: number | null; last_seq: number | null };
  const rows =
    c && u
      ? await exec<Row>(Q.createUpdateMany, [...c.values, ...u])
      : c
        ? await exec<Row>(Q.createMany, c.values)
        : await exec<Row>(Q.updateMany, u!);
  if (u) {
    for (const i of updates) results[i] = { ok: false };
    for (const r of rows) if (r.i !== null) results[r.i] = { ok: true, lastSeq: r.last_seq! };
  }
  if (c) {
    const made = new Set(rows.filter((r) => r.id !== null).map((r) => `${r.tenant}\u0000${r.id}`));
    for (const [k, i] of creates.entries()) {
      const t = (writes[i] as CreateWrite).task;
      if (made.has(`${t.tenant}\u0000${t.id}`)) {
        results[i] = { ok: true, lastSeq: c.lastSeqs[k]! };
        continue;
      }
      // Refused by its key: the task that has it (own statement, own snapshot).
      const [existing] = await exec<TaskRow>(Q.byKey, [t.tenant, t.idempotencyKey ?? null]);
      results[i] = existing ? { ok: false, existing: toTask(existing) } : { ok: false };
    }
  }
}

/** createMany's parameters: one array per column, then the events' (tenant, id, seq, at, data) arrays. */
function createValues(writes: readonly TaskWrite[], idx: readonly number[]) {
  const columns: unknown[][] = COLUMNS.map(() => []);
  const ev: unknown[][] = [[], [], [], [], []];
  const lastSeqs: number[] = [];
  for (const i of idx) {
    const w = writes[i] as CreateWrite;
    const t = w.task;
    const lastSeq = t.lastSeq + w.events.length;
    lastSeqs.push(lastSeq);
    taskValues({ ...t, lastSeq }).forEach((v, c) => columns[c]!.push(v));
    w.events.forEach((e, n) => {
      ev[0]!.push(t.tenant);
      ev[1]!.push(t.id);
      ev[2]!.push(t.lastSeq + n + 1);
      ev[3]!.push(t.updatedAt);
      ev[4]!.push(eventJson(e));
    });
  }
  return { values: [...columns, ...ev], lastSeqs };
}

/** updateMany's parameters: one array per field of the rows, then the events' (row, n, data) arrays. */
function updateValues(writes: readonly TaskWrite[], idx: readonly number[]): unknown[][] {
  const cols: unknown[][] = Array.from({ length: 18 }, () => []);
  const ev: unknown[][] = [[], [], []];
  for (const i of idx) {
    const w = writes[i] as UpdateWrite;
    const { set, guard } = w;
    const row = [
      i,
      w.tenant,
      w.id,
      ...changeValues(set),
      w.at,
      w.events.length,
      guard.states === undefined ? null : guard.states.join(','),
      guard.attempt ?? null,
      guard.owner ?? null,
      guard.leaseBefore ?? null,
    ];
    row.forEach((v, c) => cols[c]!.push(v));
    w.events.forEach((e, n) => {
      ev[0]!.push(i);
      ev[1]!.push(n + 1);
      ev[2]!.push(eventJson(e));
    });
  }
  return [...cols, ...ev];
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

/** A change's columns as the update statements take them: a NULL leaves a column alone, a flag sets owner and lease. */
function changeValues(set: TaskChange): unknown[] {
  return [
    set.state ?? null,
    set.attempt ?? null,
    set.assignee ?? null,
    set.owner !== undefined,
    set.owner ?? null,
    set.leaseUntil !== undefined,
    set.leaseUntil ?? null,
    set.result === undefined ? null : resultJson(set.result),
    set.error === undefined ? null : errorJson(set.error),
  ];
}

async function update(exec: Exec, w: UpdateWrite): Promise<TaskWriteResult> {
  const { set, guard } = w;
  const rows = await exec<{ last_seq: number }>(Q.update, [
    w.tenant,
    w.id,
    ...changeValues(set),
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
