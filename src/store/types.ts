import type { TaskStore } from './tasks.js';
import type { Entry, JSONValue, SessionInfo, SessionKey, TenantScope } from '../core/index.js';

export interface AppendBatch {
  /** The tenant owning the session: `(tenant, sessionId)` names it. */
  tenant: string;
  sessionId: string;
  /** Present on the batch that creates the session (its first entries). */
  create?: { agent: string; metadata: { [key: string]: JSONValue }; createdAt: number };
  /**
   * Entries in seq order. Seqs are assigned by the caller (one turn at a time per session), contiguous after the
   * session's `lastSeq`; a seq that already exists is a conflict and fails the whole transaction.
   */
  entries: Entry[];
}

export interface LoadOptions {
  /** Only entries with seq > afterSeq. */
  afterSeq?: number;
  /** At most this many entries: the first ones after `afterSeq`, or the last ones when `tail` is set. */
  limit?: number;
  tail?: boolean;
}

export interface ListFilter {
  agent?: string;
  limit?: number;
  /** Opaque cursor returned as `nextCursor` by the previous page. */
  cursor?: string;
}

export interface SessionPage {
  sessions: SessionInfo[];
  nextCursor?: string;
}

export interface PrunePolicy {
  /**
   * Keep at most this many message entries (user, assistant, tool_result) per session, dropping whole turns from the
   * oldest, so that tool calls and their results stay paired. The newest `state` entry of each key is kept.
   */
  maxMessages?: number;
  /** Delete sessions whose last update is older than this many milliseconds. */
  ttlMs?: number;
  /** Clock for TTL (tests). */
  now?: number;
}

export interface PruneResult {
  sessionsExpired: number;
  entriesDropped: number;
}

export interface OpenTurn {
  tenant: string;
  sessionId: string;
  turnId: string;
  /** The process that opened it (`SessionStore.instanceId`); absent for turns opened before stores recorded it. */
  owner?: string;
}

/**
 * Where sessions live. Adapters: memory, sqlite, postgres; all pass test/store/contract.ts.
 * Every method may throw SwiftletError `SWIFTLET_ERR_STORE` (retryable) or `SWIFTLET_ERR_STORE_SCHEMA`.
 *
 * Every call names its tenant: a session is reached by its key `(tenant, id)`, a listing or a sweep by a scope (one
 * tenant, or ALL_TENANTS for operator paths). There is no call that reaches a session without its tenant.
 */
export interface SessionStore {
  readonly kind: 'memory' | 'sqlite' | 'postgres';
  /** Opens the database and applies migrations. Idempotent. */
  init(): Promise<void>;
  /** Appends every batch in one transaction: all or nothing. Maintains sessions' lastSeq, updatedAt and openTurn. */
  append(batches: readonly AppendBatch[]): Promise<void>;
  getSession(key: SessionKey): Promise<SessionInfo | undefined>;
  /** The session's `lastSeq` alone (undefined: no such session): the cheap read that tells a cached copy is current. */
  lastSeq(key: SessionKey): Promise<number | undefined>;
  load(key: SessionKey, options?: LoadOptions): Promise<Entry[]>;
  /** Newest first. Across ALL_TENANTS, sessions of several tenants sharing a time and an id sort by tenant. */
  list(scope: TenantScope, filter?: ListFilter): Promise<SessionPage>;
  /** Returns false when there was no such session. */
  delete(key: SessionKey): Promise<boolean>;
  /**
   * Gives a session (with its whole log) to another tenant, keeping its id. False when there was no such session;
   * throws a conflict when the target tenant already has a session with that id, or a turn is open on it.
   */
  move(key: SessionKey, toTenant: string): Promise<boolean>;
  prune(scope: TenantScope, policy: PrunePolicy): Promise<PruneResult>;
  /** Turns that started and have not ended, each with the process that runs it (or ran it, if it died). */
  openTurns(scope: TenantScope): Promise<OpenTurn[]>;
  /**
   * This handle's process, as recorded in the store: every turn it opens names it as owner. Several processes may
   * share one store (the CLI beside a server, instances on one PostgreSQL); see src/store/instances.ts.
   */
  readonly instanceId: string;
  /** Records this process as alive now (its host and pid with it). The runtime calls it every few seconds. */
  beat(): Promise<void>;
  /**
   * The processes using the store that are alive: one that beat within `staleAfterMs` and, on this host, whose pid
   * runs. The records of the others are removed. Recovery closes only the open turns of processes not in this set.
   */
  liveInstances(staleAfterMs: number): Promise<Set<string>>;
  /** The task records, in the same database (open after `init`). */
  readonly tasks: TaskStore;
  /** True when the database answers (for readiness checks). */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}
