import type { Pool, PoolClient, QueryConfig, QueryResultRow } from 'pg';
import {
  ALL_TENANTS,
  SwiftletError,
  type Entry,
  type EntryType,
  type SessionInfo,
  type SessionKey,
  type TenantScope,
} from '../../core/index.js';
import { decodeCursor, encodeCursor, listLimit } from '../cursor.js';
import { closedError, conflictError } from '../errors.js';
import { checkTenant, openTurnOf, planAppend, type OpenTurnRow } from '../plan.js';
import type {
  AppendBatch,
  ListFilter,
  LoadOptions,
  OpenTurn,
  PrunePolicy,
  PruneResult,
  SessionPage,
  SessionStore,
} from '../types.js';
import { isAlive, newInstance } from '../instances.js';
import { pgError } from './errors.js';
import { SCHEMA_PATTERN, migrate } from './migrate.js';
import { prunePostgres } from './prune.js';
import { appendArgs, Q } from './queries.js';
import { PostgresTaskStore } from './tasks.js';
import type { TaskStore } from '../tasks.js';

export interface PostgresStoreOptions {
  /** `postgres://user:password@host:port/database` */
  url: string;
  /** Schema holding Swiftlet's tables, created when missing (default: the server's search_path, usually public). */
  schema?: string;
  /** Pool size (default 10). */
  maxConnections?: number;
}

interface SessionRow {
  tenant: string;
  id: string;
  agent: string;
  created_at: string;
  updated_at: string;
  last_seq: number;
  open_turn: string | null;
  title: string | null;
  metadata: SessionInfo['metadata'];
}

interface EntryRow {
  seq: number;
  turn_id: string;
  type: EntryType;
  at: string;
  data: object;
}

const FIRST_PAGE = { updatedAt: Number.MAX_SAFE_INTEGER, id: '', tenant: '' };

/**
 * Sessions in PostgreSQL, shareable by many Swiftlet instances: appends check each session's last seq atomically, so
 * two instances writing one session cannot both succeed. `pg` is loaded on `init`.
 */
export class PostgresStore implements SessionStore {
  readonly kind = 'postgres';
  #options: PostgresStoreOptions;
  #opening: Promise<void> | undefined;
  #pool: Pool | undefined;
  readonly #instance = newInstance();
  readonly instanceId = this.#instance.id;
  readonly #tasks = new PostgresTaskStore({
    query: (what, q, values) => this.#query(what, q, values),
    transaction: (what, fn) => this.#transaction(what, fn),
  });

  constructor(options: PostgresStoreOptions) {
    if (options.schema !== undefined && !SCHEMA_PATTERN.test(options.schema)) {
      throw new SwiftletError(
        'SWIFTLET_ERR_CONFIG_INVALID',
        `schema "${options.schema}" must be lower-case letters, digits and _ (at most 63), not starting with a digit`,
        { field: 'storage.schema' },
      );
    }
    this.#options = options;
  }

  init(): Promise<void> {
    this.#opening ??= this.#open().catch((err: unknown) => {
      this.#opening = undefined;
      throw pgError(err, 'init');
    });
    return this.#opening;
  }

  async #open(): Promise<void> {
    const { default: pg } = await import('pg');
    const { url, schema, maxConnections = 10 } = this.#options;
    const pool = new pg.Pool({
      connectionString: url,
      max: maxConnections,
      application_name: 'swiftlet',
      connectionTimeoutMillis: 10_000,
      // Set at connection start: no extra round trip per checkout.
      ...(schema === undefined ? {} : { options: `-c search_path=${schema}` }),
    });
    // An idle client losing its connection must not crash the process; the pool replaces it on next use.
    pool.on('error', () => undefined);
    try {
      const client = await pool.connect();
      try {
        await migrate(client, schema);
      } finally {
        client.release();
      }
    } catch (err) {
      await pool.end().catch(() => undefined);
      throw err;
    }
    this.#pool = pool;
  }

  get tasks(): TaskStore {
    if (!this.#pool) throw closedError(this.kind);
    return this.#tasks;
  }

  async append(batches: readonly AppendBatch[]): Promise<void> {
    const writes = planAppend(batches);
    if (writes.length === 0) return;
    await this.#query('append', Q.append, appendArgs(writes, this.instanceId));
  }

  async lastSeq(key: SessionKey): Promise<number | undefined> {
    const rows = await this.#query<{ last_seq: number }>('lastSeq', Q.lastSeq, [key.tenant, key.id]);
    return rows[0]?.last_seq;
  }

  async getSession(key: SessionKey): Promise<SessionInfo | undefined> {
    const rows = await this.#query<SessionRow>('getSession', Q.getSession, [key.tenant, key.id]);
    return rows[0] && toInfo(rows[0]);
  }

  async load(key: SessionKey, options: LoadOptions = {}): Promise<Entry[]> {
    const args = [key.tenant, key.id, options.afterSeq ?? 0, options.limit ?? null];
    if (options.tail && options.limit !== undefined) {
      return (await this.#query<EntryRow>('load', Q.loadTail, args)).reverse().map(toEntry);
    }
    return (await this.#query<EntryRow>('load', Q.load, args)).map(toEntry);
  }

  async list(scope: TenantScope, filter: ListFilter = {}): Promise<SessionPage> {
    const limit = listLimit(filter.limit);
    const c = filter.cursor === undefined ? FIRST_PAGE : decodeCursor(filter.cursor);
    const { agent } = filter;
    let rows: SessionRow[];
    if (scope === ALL_TENANTS) {
      const page = [c.updatedAt, c.id, c.tenant, limit + 1];
      rows =
        agent === undefined
          ? await this.#query<SessionRow>('list', Q.listAll, page)
          : await this.#query<SessionRow>('list', Q.listAllAgent, [agent, ...page]);
    } else {
      rows =
        agent === undefined
          ? await this.#query<SessionRow>('list', Q.list, [scope, c.updatedAt, c.id, limit + 1])
          : await this.#query<SessionRow>('list', Q.listAgent, [scope, agent, c.updatedAt, c.id, limit + 1]);
    }
    const sessions = rows.slice(0, limit).map(toInfo);
    const last = sessions[sessions.length - 1];
    return { sessions, ...(rows.length > limit && last ? { nextCursor: encodeCursor(last) } : {}) };
  }

  async delete(key: SessionKey): Promise<boolean> {
    return this.#transaction('delete', async (client) => {
      // Deleting the session row first waits for any append holding it; the entries statement then sees its rows.
      const { rowCount } = await client.query(Q.deleteSession, [key.tenant, key.id]);
      await client.query(Q.deleteEntries, [key.tenant, key.id]);
      return (rowCount ?? 0) > 0;
    });
  }

  async move(key: SessionKey, toTenant: string): Promise<boolean> {
    checkTenant(toTenant, key.id);
    return this.#transaction('move', async (client) => {
      // The row lock makes a concurrent append wait, then fail its optimistic check on the old key.
      const { rows } = await client.query<{ open_turn: string | null }>(Q.lockSession, [key.tenant, key.id]);
      if (rows.length === 0) return false;
      if (toTenant === key.tenant) return true;
      if ((await client.query(Q.sessionExists, [toTenant, key.id])).rowCount) {
        throw conflictError(key.id, `tenant ${toTenant} already has a session with this id`);
      }
      if (rows[0]!.open_turn !== null) throw conflictError(key.id, 'a turn is open on it');
      await client.query(Q.moveSession, [toTenant, key.tenant, key.id]);
      await client.query(Q.moveEntries, [toTenant, key.tenant, key.id]);
      return true;
    });
  }

  async prune(scope: TenantScope, policy: PrunePolicy): Promise<PruneResult> {
    const pool = this.#use();
    try {
      return await prunePostgres(pool, scope, policy, (what, fn) => this.#transaction(what, fn));
    } catch (err) {
      throw pgError(err, 'prune');
    }
  }

  async openTurns(scope: TenantScope): Promise<OpenTurn[]> {
    const rows =
      scope === ALL_TENANTS
        ? await this.#query<OpenTurnRow>('openTurns', Q.openTurnsAll, [])
        : await this.#query<OpenTurnRow>('openTurns', Q.openTurns, [scope]);
    return rows.map(openTurnOf);
  }

  async beat(): Promise<void> {
    const { id, host, pid } = this.#instance;
    await this.#query('beat', Q.beat, [id, host, pid, Date.now()]);
  }

  async liveInstances(staleAfterMs: number): Promise<Set<string>> {
    type Row = { id: string; host: string; pid: number; beat_at: string };
    const now = Date.now();
    const live = new Set<string>();
    for (const r of await this.#query<Row>('liveInstances', Q.instances, [])) {
      const row = { id: r.id, host: r.host, pid: r.pid, beatAt: Number(r.beat_at) };
      if (isAlive(row, now, staleAfterMs)) live.add(row.id);
      else await this.#query('liveInstances', Q.forgetInstance, [row.id]);
    }
    return live;
  }

  async ping(): Promise<boolean> {
    try {
      await this.#use().query('SELECT 1');
      return true;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    // A row left behind (the database is gone) is forgotten by the next process that finds this one stale.
    if (this.#pool) await this.#query('close', Q.forgetInstance, [this.instanceId]).catch(() => undefined);
    const pool = this.#pool;
    this.#pool = undefined;
    this.#opening = undefined;
    await pool?.end();
  }

  #use(): Pool {
    if (!this.#pool) throw closedError(this.kind);
    return this.#pool;
  }

  async #query<R extends QueryResultRow>(what: string, q: QueryConfig, values: unknown[]): Promise<R[]> {
    const pool = this.#use();
    try {
      return (await pool.query<R>({ ...q, values })).rows;
    } catch (err) {
      throw pgError(err, what);
    }
  }

  async #transaction<T>(what: string, fn: (client: PoolClient) => Promise<T>): Promise<T> {
    let client: PoolClient;
    try {
      client = await this.#use().connect();
    } catch (err) {
      throw pgError(err, what);
    }
    let broken = false;
    try {
      await client.query('BEGIN');
      const result = await fn(client);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => (broken = true));
      throw pgError(err, what);
    } finally {
      client.release(broken);
    }
  }
}

function toInfo(r: SessionRow): SessionInfo {
  return {
    tenant: r.tenant,
    id: r.id,
    agent: r.agent,
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
    lastSeq: r.last_seq,
    ...(r.open_turn === null ? {} : { openTurn: r.open_turn }),
    ...(r.title ? { title: r.title } : {}),
    metadata: r.metadata,
  };
}

function toEntry(r: EntryRow): Entry {
  return { ...r.data, type: r.type, turnId: r.turn_id, at: Number(r.at), seq: r.seq } as Entry;
}
