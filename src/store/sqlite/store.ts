import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
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
import { closedError, conflictError, notFoundError, schemaError } from '../errors.js';
import { checkTenant, decodeEntry, openTurnOf, planAppend, type OpenTurnRow, type SessionWrite } from '../plan.js';
import { isAlive, newInstance, type InstanceRow } from '../instances.js';
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
import { MIGRATIONS } from './migrations.js';
import { SqlitePruner } from './prune.js';
import { SqliteTaskStore } from './tasks.js';
import type { TaskStore } from '../tasks.js';

export interface SqliteStoreOptions {
  /** Database file; its directory is created when missing. `:memory:` for a private in-memory database. */
  path: string;
  /**
   * `normal` (default): a commit survives a crash of the process, the last commits may be lost on power loss.
   * `full`: every commit is fsynced and survives power loss, at the cost of one fsync per transaction.
   */
  synchronous?: 'normal' | 'full';
  /** How long a write waits for another process's write lock before failing with a retryable error. */
  busyTimeoutMs?: number;
}

interface SessionRow {
  tenant: string;
  id: string;
  agent: string;
  created_at: number;
  updated_at: number;
  last_seq: number;
  open_turn: string | null;
  title: string | null;
  metadata: string;
}

interface EntryRow {
  seq: number;
  turn_id: string;
  type: EntryType;
  at: number;
  data: string;
}

const SESSION_COLUMNS = 'tenant, id, agent, created_at, updated_at, last_seq, open_turn, title, metadata';
const ENTRY_COLUMNS = 'seq, turn_id, type, at, data';
/** `list` without a cursor starts after this sentinel row, so one statement serves every page. */
const FIRST_PAGE = { updatedAt: Number.MAX_SAFE_INTEGER, id: '', tenant: '' };

/** Sessions in one SQLite file (WAL). better-sqlite3 is loaded on `init`, so configs without SQLite never load it. */
export class SqliteStore implements SessionStore {
  readonly kind = 'sqlite';
  #options: SqliteStoreOptions;
  #opening: Promise<void> | undefined;
  #db: BetterSqlite3.Database | undefined;
  #s: Statements | undefined;
  #append: BetterSqlite3.Transaction<(writes: SessionWrite[]) => void> | undefined;
  #delete: BetterSqlite3.Transaction<(tenant: string, id: string) => boolean> | undefined;
  #move: BetterSqlite3.Transaction<(key: SessionKey, to: string) => boolean> | undefined;
  #pruner: SqlitePruner | undefined;
  #tasks: SqliteTaskStore | undefined;
  readonly #instance = newInstance();
  readonly instanceId = this.#instance.id;

  constructor(options: SqliteStoreOptions) {
    this.#options = options;
  }

  init(): Promise<void> {
    this.#opening ??= this.#open().catch((err: unknown) => {
      this.#opening = undefined;
      throw err;
    });
    return this.#opening;
  }

  async #open(): Promise<void> {
    const { default: Database } = await import('better-sqlite3');
    const { path, synchronous = 'normal', busyTimeoutMs = 5000 } = this.#options;
    let db: BetterSqlite3.Database;
    try {
      if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
      db = new Database(path, { timeout: busyTimeoutMs });
    } catch (err) {
      throw storeError(err, `cannot open SQLite database ${path}`);
    }
    try {
      db.pragma('journal_mode = WAL');
      db.pragma(`synchronous = ${synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
      migrate(db, path);
      const s = prepare(db);
      this.#append = db.transaction((writes: SessionWrite[]) => {
        for (const w of writes) applyWrite(s, w, this.instanceId);
      });
      this.#delete = db.transaction((tenant: string, id: string) => {
        s.deleteEntries.run(tenant, id);
        return s.deleteSession.run(tenant, id).changes > 0;
      });
      this.#move = db.transaction((key: SessionKey, to: string) => moveSession(s, key, to));
      this.#pruner = new SqlitePruner(db);
      this.#tasks = new SqliteTaskStore(db, (what, fn) => this.#run(what, fn));
      this.#s = s;
      this.#db = db;
    } catch (err) {
      db.close();
      throw storeError(err, `cannot initialise SQLite database ${path}`);
    }
  }

  get tasks(): TaskStore {
    if (!this.#tasks) throw closedError(this.kind);
    return this.#tasks;
  }

  async append(batches: readonly AppendBatch[]): Promise<void> {
    const writes = planAppend(batches);
    if (writes.length === 0) return;
    this.#run('append', () => this.#append!.immediate(writes));
  }

  async lastSeq(key: SessionKey): Promise<number | undefined> {
    return this.#run('lastSeq', (s) => s.lastSeq.get(key.tenant, key.id) as number | undefined);
  }

  async getSession(key: SessionKey): Promise<SessionInfo | undefined> {
    const row = this.#run('getSession', (s) => s.getSession.get(key.tenant, key.id) as SessionRow | undefined);
    return row && toInfo(row);
  }

  async load(key: SessionKey, options: LoadOptions = {}): Promise<Entry[]> {
    const after = options.afterSeq ?? 0;
    const limit = options.limit ?? -1;
    if (options.tail && options.limit !== undefined) {
      const rows = this.#run('load', (s) => s.loadTail.all(key.tenant, key.id, after, limit) as EntryRow[]);
      return rows.reverse().map(toEntry);
    }
    return this.#run('load', (s) => s.load.all(key.tenant, key.id, after, limit) as EntryRow[]).map(toEntry);
  }

  async list(scope: TenantScope, filter: ListFilter = {}): Promise<SessionPage> {
    const limit = listLimit(filter.limit);
    const c = filter.cursor === undefined ? FIRST_PAGE : decodeCursor(filter.cursor);
    const { agent } = filter;
    const rows = this.#run('list', (s) => {
      if (scope === ALL_TENANTS) {
        const page = [c.updatedAt, c.updatedAt, c.id, c.id, c.tenant, limit + 1] as const;
        return agent === undefined ? s.listAll.all(...page) : s.listAllAgent.all(agent, ...page);
      }
      return agent === undefined
        ? s.list.all(scope, c.updatedAt, c.updatedAt, c.id, limit + 1)
        : s.listAgent.all(scope, agent, c.updatedAt, c.updatedAt, c.id, limit + 1);
    }) as SessionRow[];
    const sessions = rows.slice(0, limit).map(toInfo);
    const last = sessions[sessions.length - 1];
    return { sessions, ...(rows.length > limit && last ? { nextCursor: encodeCursor(last) } : {}) };
  }

  async delete(key: SessionKey): Promise<boolean> {
    return this.#run('delete', () => this.#delete!.immediate(key.tenant, key.id));
  }

  async move(key: SessionKey, toTenant: string): Promise<boolean> {
    checkTenant(toTenant, key.id);
    return this.#run('move', () => this.#move!.immediate(key, toTenant));
  }

  async prune(scope: TenantScope, policy: PrunePolicy): Promise<PruneResult> {
    return this.#run('prune', () => this.#pruner!.prune(scope, policy));
  }

  async openTurns(scope: TenantScope): Promise<OpenTurn[]> {
    const rows = this.#run('openTurns', (s) =>
      scope === ALL_TENANTS ? (s.openTurnsAll.all() as OpenTurnRow[]) : (s.openTurns.all(scope) as OpenTurnRow[]),
    );
    return rows.map(openTurnOf);
  }

  async beat(): Promise<void> {
    const { id, host, pid } = this.#instance;
    this.#run('beat', (s) => s.beat.run(id, host, pid, Date.now()));
  }

  async liveInstances(staleAfterMs: number): Promise<Set<string>> {
    const now = Date.now();
    const rows = this.#run('liveInstances', (s) => s.instances.all() as InstanceRow[]);
    const live = new Set<string>();
    for (const row of rows) {
      if (isAlive(row, now, staleAfterMs)) live.add(row.id);
      else this.#run('liveInstances', (s) => s.forgetInstance.run(row.id));
    }
    return live;
  }

  async ping(): Promise<boolean> {
    try {
      return this.#s?.ping.get() === 1;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    try {
      this.#s?.forgetInstance.run(this.instanceId);
    } catch {
      // Closing anyway: a row left behind is forgotten by the next process that finds this pid gone.
    }
    const db = this.#db;
    this.#db = this.#s = this.#append = this.#delete = this.#move = this.#pruner = this.#tasks = undefined;
    this.#opening = undefined;
    db?.close();
  }

  /** Runs a statement, turning driver errors into retryable store errors (busy, I/O, full disk) with the cause. */
  #run<T>(what: string, fn: (s: Statements) => T): T {
    const s = this.#s;
    if (!s) throw closedError(this.kind);
    try {
      return fn(s);
    } catch (err) {
      throw storeError(err, `${what} failed`);
    }
  }
}

function migrate(db: BetterSqlite3.Database, path: string): void {
  const known = MIGRATIONS.length;
  const version = (): number => db.pragma('user_version', { simple: true }) as number;
  // IMMEDIATE takes the write lock before reading the version, so two processes cannot apply the same step.
  const step = db.transaction(() => {
    const v = version();
    if (v > known) throw schemaError(v, known, `SQLite database ${path}`);
    if (v === known) return false;
    db.exec(MIGRATIONS[v]!);
    db.pragma(`user_version = ${v + 1}`);
    return true;
  });
  while (step.immediate());
}

type Statements = ReturnType<typeof prepare>;

function prepare(db: BetterSqlite3.Database) {
  return {
    createSession: db.prepare<
      [string, string, string, number, number, number, string | null, string | null, string, number, string | null]
    >(`INSERT INTO sessions (${SESSION_COLUMNS}, message_count, open_owner) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
    // Optimistic check: the row moves only if nobody appended since the caller read lastSeq. A title, once set, stays.
    advanceSession: db.prepare<
      [number, number, number, string | null, number, string | null, number, string | null, string, string, number]
    >(
      `UPDATE sessions SET updated_at = MAX(updated_at, ?), last_seq = ?,
         open_turn = CASE WHEN ? THEN open_turn ELSE ? END,
         open_owner = CASE WHEN ? THEN open_owner ELSE ? END, message_count = message_count + ?,
         title = COALESCE(title, ?)
       WHERE tenant = ? AND id = ? AND last_seq = ?`,
    ),
    beat: db.prepare<[string, string, number, number]>(
      `INSERT INTO instances (id, host, pid, beat_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET beat_at = excluded.beat_at`,
    ),
    instances: db.prepare<[]>('SELECT id, host, pid, beat_at AS beatAt FROM instances'),
    forgetInstance: db.prepare<[string]>('DELETE FROM instances WHERE id = ?'),
    sessionExists: db.prepare<[string, string]>('SELECT 1 FROM sessions WHERE tenant = ? AND id = ?').pluck(),
    insertEntry: db.prepare<[string, string, number, string, string, number, string]>(
      `INSERT INTO entries (tenant, session_id, ${ENTRY_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)`,
    ),
    getSession: db.prepare<[string, string]>(`SELECT ${SESSION_COLUMNS} FROM sessions WHERE tenant = ? AND id = ?`),
    lastSeq: db.prepare<[string, string]>('SELECT last_seq FROM sessions WHERE tenant = ? AND id = ?').pluck(),
    load: db.prepare<[string, string, number, number]>(
      `SELECT ${ENTRY_COLUMNS} FROM entries WHERE tenant = ? AND session_id = ? AND seq > ? ORDER BY seq LIMIT ?`,
    ),
    loadTail: db.prepare<[string, string, number, number]>(
      `SELECT ${ENTRY_COLUMNS} FROM entries WHERE tenant = ? AND session_id = ? AND seq > ? ORDER BY seq DESC LIMIT ?`,
    ),
    // `updated_at <= ?` is the index range; the OR only sorts out rows sharing the cursor's timestamp.
    list: db.prepare<[string, number, number, string, number]>(
      `SELECT ${SESSION_COLUMNS} FROM sessions WHERE tenant = ? AND updated_at <= ? AND (updated_at < ? OR id > ?)
       ORDER BY updated_at DESC, id LIMIT ?`,
    ),
    listAgent: db.prepare<[string, string, number, number, string, number]>(
      `SELECT ${SESSION_COLUMNS} FROM sessions
       WHERE tenant = ? AND agent = ? AND updated_at <= ? AND (updated_at < ? OR id > ?)
       ORDER BY updated_at DESC, id LIMIT ?`,
    ),
    // Across every tenant (operator paths): rows sharing a time and an id sort by tenant.
    listAll: db.prepare<[number, number, string, string, string, number]>(
      `SELECT ${SESSION_COLUMNS} FROM sessions
       WHERE updated_at <= ? AND (updated_at < ? OR id > ? OR (id = ? AND tenant > ?))
       ORDER BY updated_at DESC, id, tenant LIMIT ?`,
    ),
    listAllAgent: db.prepare<[string, number, number, string, string, string, number]>(
      `SELECT ${SESSION_COLUMNS} FROM sessions
       WHERE agent = ? AND updated_at <= ? AND (updated_at < ? OR id > ? OR (id = ? AND tenant > ?))
       ORDER BY updated_at DESC, id, tenant LIMIT ?`,
    ),
    deleteEntries: db.prepare<[string, string]>('DELETE FROM entries WHERE tenant = ? AND session_id = ?'),
    deleteSession: db.prepare<[string, string]>('DELETE FROM sessions WHERE tenant = ? AND id = ?'),
    moveSession: db.prepare<[string, string, string]>(
      'UPDATE sessions SET tenant = ? WHERE tenant = ? AND id = ? AND open_turn IS NULL',
    ),
    moveEntries: db.prepare<[string, string, string]>(
      'UPDATE entries SET tenant = ? WHERE tenant = ? AND session_id = ?',
    ),
    openTurns: db.prepare<[string]>(
      'SELECT tenant, id, open_turn, open_owner FROM sessions WHERE tenant = ? AND open_turn IS NOT NULL',
    ),
    openTurnsAll: db.prepare<[]>('SELECT tenant, id, open_turn, open_owner FROM sessions WHERE open_turn IS NOT NULL'),
    ping: db.prepare<[]>('SELECT 1').pluck(),
  };
}

function moveSession(s: Statements, key: SessionKey, to: string): boolean {
  if (s.sessionExists.get(key.tenant, key.id) === undefined) return false;
  if (to === key.tenant) return true;
  if (s.sessionExists.get(to, key.id) !== undefined) {
    throw conflictError(key.id, `tenant ${to} already has a session with this id`);
  }
  if (s.moveSession.run(to, key.tenant, key.id).changes === 0) throw conflictError(key.id, 'a turn is open on it');
  s.moveEntries.run(to, key.tenant, key.id);
  return true;
}

function applyWrite(s: Statements, w: SessionWrite, owner: string): void {
  const open = w.openTurn ?? null;
  if (w.create) {
    const c = w.create;
    const updatedAt = Math.max(c.createdAt, w.updatedAt);
    try {
      const metadata = JSON.stringify(c.metadata);
      const title = w.title ?? null;
      s.createSession.run(
        w.tenant,
        w.id,
        c.agent,
        c.createdAt,
        updatedAt,
        w.lastSeq,
        open,
        title,
        metadata,
        w.messages,
        open === null ? null : owner,
      );
    } catch (err) {
      if (isConstraint(err)) throw conflictError(w.id, 'it already exists', err);
      throw err;
    }
  } else {
    const keep = w.openTurn === undefined ? 1 : 0;
    const moved = s.advanceSession.run(
      w.updatedAt,
      w.lastSeq,
      keep,
      open,
      keep,
      open === null ? null : owner,
      w.messages,
      w.title ?? null,
      w.tenant,
      w.id,
      w.expectedSeq,
    ).changes;
    if (moved === 0) {
      if (s.sessionExists.get(w.tenant, w.id) === undefined) throw notFoundError(w.id);
      throw conflictError(w.id, `its last seq is not ${w.expectedSeq}`);
    }
  }
  const insert = s.insertEntry;
  for (const entry of w.entries) {
    try {
      insert.run(w.tenant, w.id, entry.seq, entry.turnId, entry.type, entry.at, payloadJson(entry));
    } catch (err) {
      if (isConstraint(err)) throw conflictError(w.id, `seq ${entry.seq} already exists`, err);
      throw err;
    }
  }
}

/**
 * The stored JSON payload: the entry without its indexed columns (seq, turn id, type, time), `v` included: the
 * same text as `encodeEntry`, without its object rest, which is the slow part on this path.
 */
function payloadJson(entry: Entry): string {
  const payload: Record<string, unknown> = {};
  for (const key in entry) {
    if (key !== 'seq' && key !== 'turnId' && key !== 'at' && key !== 'type') {
      payload[key] = entry[key as keyof Entry];
    }
  }
  return JSON.stringify(payload);
}

function toInfo(r: SessionRow): SessionInfo {
  return {
    tenant: r.tenant,
    id: r.id,
    agent: r.agent,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    lastSeq: r.last_seq,
    ...(r.open_turn === null ? {} : { openTurn: r.open_turn }),
    ...(r.title ? { title: r.title } : {}),
    metadata: JSON.parse(r.metadata) as SessionInfo['metadata'],
  };
}

function toEntry(r: EntryRow): Entry {
  return decodeEntry(r.seq, r.turn_id, r.type, r.at, JSON.parse(r.data) as object);
}

function isConstraint(err: unknown): boolean {
  return (
    typeof (err as { code?: unknown }).code === 'string' &&
    (err as { code: string }).code.startsWith('SQLITE_CONSTRAINT')
  );
}

function storeError(err: unknown, what: string): SwiftletError {
  if (SwiftletError.isInstance(err)) return err;
  const detail = err instanceof Error ? err.message : String(err);
  return new SwiftletError('SWIFTLET_ERR_STORE', `SQLite: ${what}: ${detail}`, { cause: err });
}
