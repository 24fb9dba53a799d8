import type { Pool, PoolClient, QueryConfig, QueryResultRow } from 'pg';
import { SwiftletError, type Entry, type EntryType, type SessionInfo } from '../../core/index.js';
import { decodeCursor, encodeCursor, listLimit } from '../cursor.js';
import { closedError } from '../errors.js';
import { planAppend } from '../plan.js';
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
import { pgError } from './errors.js';
import { SCHEMA_PATTERN, migrate } from './migrate.js';
import { prunePostgres } from './prune.js';
import { appendArgs, Q } from './queries.js';

export interface PostgresStoreOptions {
  /** `postgres://user:password@host:port/database` */
  url: string;
  /** Schema holding Swiftlet's tables, created when missing (default: the server's search_path, usually public). */
  schema?: string;
  /** Pool size (default 10). */
  maxConnections?: number;
}

interface SessionRow {
  id: string;
  agent: string;
  created_at: string;
  updated_at: string;
  last_seq: number;
  open_turn: string | null;
  metadata: SessionInfo['metadata'];
}

interface EntryRow {
  seq: number;
  turn_id: string;
  type: EntryType;
  at: string;
  data: object;
}

const FIRST_PAGE = { updatedAt: Number.MAX_SAFE_INTEGER, id: '' };

/**
 * Sessions in PostgreSQL, shareable by many Swiftlet instances: appends check each session's last seq atomically, so
 * two instances writing one session cannot both succeed. `pg` is loaded on `init`.
 */
export class PostgresStore implements SessionStore {
  readonly kind = 'postgres';
  #options: PostgresStoreOptions;
  #opening: Promise<void> | undefined;
  #pool: Pool | undefined;

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

  async append(batches: readonly AppendBatch[]): Promise<void> {
    const writes = planAppend(batches);
    if (writes.length === 0) return;
    await this.#query('append', Q.append, appendArgs(writes));
  }

  async getSession(sessionId: string): Promise<SessionInfo | undefined> {
    const rows = await this.#query<SessionRow>('getSession', Q.getSession, [sessionId]);
    return rows[0] && toInfo(rows[0]);
  }

  async load(sessionId: string, options: LoadOptions = {}): Promise<Entry[]> {
    const args = [sessionId, options.afterSeq ?? 0, options.limit ?? null];
    if (options.tail && options.limit !== undefined) {
      return (await this.#query<EntryRow>('load', Q.loadTail, args)).reverse().map(toEntry);
    }
    return (await this.#query<EntryRow>('load', Q.load, args)).map(toEntry);
  }

  async list(filter: ListFilter = {}): Promise<SessionPage> {
    const limit = listLimit(filter.limit);
    const c = filter.cursor === undefined ? FIRST_PAGE : decodeCursor(filter.cursor);
    const rows =
      filter.agent === undefined
        ? await this.#query<SessionRow>('list', Q.list, [c.updatedAt, c.id, limit + 1])
        : await this.#query<SessionRow>('list', Q.listAgent, [filter.agent, c.updatedAt, c.id, limit + 1]);
    const sessions = rows.slice(0, limit).map(toInfo);
    const last = sessions[sessions.length - 1];
    return { sessions, ...(rows.length > limit && last ? { nextCursor: encodeCursor(last) } : {}) };
  }

  async delete(sessionId: string): Promise<boolean> {
    return this.#transaction('delete', async (client) => {
      // Deleting the session row first waits for any append holding it; the entries statement then sees its rows.
      const { rowCount } = await client.query(Q.deleteSession, [sessionId]);
      await client.query(Q.deleteEntries, [sessionId]);
      return (rowCount ?? 0) > 0;
    });
  }

  async prune(policy: PrunePolicy): Promise<PruneResult> {
    const pool = this.#use();
    try {
      return await prunePostgres(pool, policy, (what, fn) => this.#transaction(what, fn));
    } catch (err) {
      throw pgError(err, 'prune');
    }
  }

  async openTurns(): Promise<OpenTurn[]> {
    const rows = await this.#query<{ id: string; open_turn: string }>('openTurns', Q.openTurns, []);
    return rows.map((r) => ({ sessionId: r.id, turnId: r.open_turn }));
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
    id: r.id,
    agent: r.agent,
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
    lastSeq: r.last_seq,
    ...(r.open_turn === null ? {} : { openTurn: r.open_turn }),
    metadata: r.metadata,
  };
}

function toEntry(r: EntryRow): Entry {
  return { ...r.data, type: r.type, turnId: r.turn_id, at: Number(r.at), seq: r.seq } as Entry;
}
