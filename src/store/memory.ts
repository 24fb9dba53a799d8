import {
  ALL_TENANTS,
  newId,
  sessionKeyString,
  type Entry,
  type SessionInfo,
  type SessionKey,
  type TenantScope,
} from '../core/index.js';
import { MemoryTaskStore } from './memory-tasks.js';
import { closedError, conflictError, notFoundError } from './errors.js';
import { afterCursor, compareListed, decodeCursor, encodeCursor, listLimit } from './cursor.js';
import { checkTenant, isMessage, planAppend, planPrune, type SessionWrite, type TurnSummary } from './plan.js';
import type {
  AppendBatch,
  ListFilter,
  LoadOptions,
  OpenTurn,
  PrunePolicy,
  PruneResult,
  SessionPage,
  SessionStore,
} from './types.js';

interface Session {
  info: SessionInfo;
  /** Ascending by seq. */
  entries: Entry[];
  messages: number;
}

const keyOf = (k: SessionKey): string => sessionKeyString(k.tenant, k.id);
const inScope = (scope: TenantScope, info: SessionInfo): boolean => scope === ALL_TENANTS || info.tenant === scope;

/**
 * Sessions in a Map keyed by (tenant, id), for tests and `driver: memory`. Values are cloned on the way in and out,
 * so callers can never alias stored state, as with the SQL adapters.
 */
export class MemoryStore implements SessionStore {
  readonly kind = 'memory';
  /** One process holds a memory store: it owns every open turn, and is the only live instance. */
  readonly instanceId = newId('inst');
  readonly tasks = new MemoryTaskStore();
  #sessions = new Map<string, Session>();
  #open = false;

  async beat(): Promise<void> {
    this.#use();
  }

  async liveInstances(): Promise<Set<string>> {
    this.#use();
    return new Set([this.instanceId]);
  }

  async init(): Promise<void> {
    this.#open = true;
  }

  async append(batches: readonly AppendBatch[]): Promise<void> {
    const sessions = this.#use();
    const writes = planAppend(batches);
    // Check everything before changing anything: the call is all or nothing.
    for (const w of writes) {
      const s = sessions.get(sessionKeyString(w.tenant, w.id));
      if (w.create) {
        if (s) throw conflictError(w.id, 'it already exists');
      } else if (!s) {
        throw notFoundError(w.id);
      } else if (s.info.lastSeq !== w.expectedSeq) {
        throw conflictError(w.id, `its last seq is ${s.info.lastSeq}, not ${w.expectedSeq}`);
      }
    }
    for (const w of writes) this.#apply(sessions, w);
  }

  #apply(sessions: Map<string, Session>, w: SessionWrite): void {
    const key = sessionKeyString(w.tenant, w.id);
    let s = sessions.get(key);
    if (!s) {
      const c = w.create!;
      const info: SessionInfo = {
        tenant: w.tenant,
        id: w.id,
        agent: c.agent,
        createdAt: c.createdAt,
        updatedAt: c.createdAt,
        lastSeq: 0,
        metadata: structuredClone(c.metadata),
      };
      s = { info, entries: [], messages: 0 };
      sessions.set(key, s);
    }
    for (const e of w.entries) s.entries.push(structuredClone(e));
    s.messages += w.messages;
    if (w.title !== undefined && s.info.title === undefined) s.info.title = w.title;
    s.info.lastSeq = w.lastSeq;
    s.info.updatedAt = Math.max(s.info.updatedAt, w.updatedAt);
    if (typeof w.openTurn === 'string') s.info.openTurn = w.openTurn;
    else if (w.openTurn === null) delete s.info.openTurn;
  }

  async lastSeq(key: SessionKey): Promise<number | undefined> {
    return this.#use().get(keyOf(key))?.info.lastSeq;
  }

  async getSession(key: SessionKey): Promise<SessionInfo | undefined> {
    const s = this.#use().get(keyOf(key));
    return s && structuredClone(s.info);
  }

  async load(key: SessionKey, options: LoadOptions = {}): Promise<Entry[]> {
    const s = this.#use().get(keyOf(key));
    if (!s) return [];
    let from = 0;
    if (options.afterSeq !== undefined) {
      const after = options.afterSeq;
      from = s.entries.findIndex((e) => e.seq > after);
      if (from < 0) return [];
    }
    let to = s.entries.length;
    if (options.limit !== undefined) {
      if (options.tail) from = Math.max(from, to - options.limit);
      else to = Math.min(to, from + options.limit);
    }
    return structuredClone(s.entries.slice(from, to));
  }

  async list(scope: TenantScope, filter: ListFilter = {}): Promise<SessionPage> {
    const limit = listLimit(filter.limit);
    const cursor = filter.cursor === undefined ? undefined : decodeCursor(filter.cursor);
    const all = scope === ALL_TENANTS;
    const rows = [...this.#use().values()]
      .map((s) => s.info)
      .filter(
        (i) =>
          inScope(scope, i) &&
          (filter.agent === undefined || i.agent === filter.agent) &&
          (!cursor || afterCursor(i, cursor, all)),
      )
      .sort(compareListed);
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      sessions: structuredClone(page),
      ...(rows.length > limit && last ? { nextCursor: encodeCursor(last) } : {}),
    };
  }

  async delete(key: SessionKey): Promise<boolean> {
    return this.#use().delete(keyOf(key));
  }

  async move(key: SessionKey, toTenant: string): Promise<boolean> {
    const sessions = this.#use();
    checkTenant(toTenant, key.id);
    const s = sessions.get(keyOf(key));
    if (!s) return false;
    if (toTenant === key.tenant) return true;
    const target = sessionKeyString(toTenant, key.id);
    if (sessions.has(target)) throw conflictError(key.id, `tenant ${toTenant} already has a session with this id`);
    if (s.info.openTurn !== undefined) throw conflictError(key.id, 'a turn is open on it');
    sessions.delete(keyOf(key));
    s.info.tenant = toTenant;
    sessions.set(target, s);
    return true;
  }

  async prune(scope: TenantScope, policy: PrunePolicy): Promise<PruneResult> {
    const sessions = this.#use();
    const result: PruneResult = { sessionsExpired: 0, entriesDropped: 0 };
    if (policy.ttlMs !== undefined) {
      const cutoff = (policy.now ?? Date.now()) - policy.ttlMs;
      for (const [key, s] of sessions) {
        if (inScope(scope, s.info) && s.info.updatedAt < cutoff && s.info.openTurn === undefined) {
          sessions.delete(key);
          result.sessionsExpired++;
        }
      }
    }
    if (policy.maxMessages !== undefined) {
      for (const s of sessions.values()) {
        if (inScope(scope, s.info) && s.messages > policy.maxMessages) {
          result.entriesDropped += pruneSession(s, policy.maxMessages);
        }
      }
    }
    return result;
  }

  async openTurns(scope: TenantScope): Promise<OpenTurn[]> {
    const out: OpenTurn[] = [];
    for (const s of this.#use().values()) {
      const { info } = s;
      if (info.openTurn !== undefined && inScope(scope, info)) {
        out.push({ tenant: info.tenant, sessionId: info.id, turnId: info.openTurn, owner: this.instanceId });
      }
    }
    return out;
  }

  async ping(): Promise<boolean> {
    return this.#open;
  }

  async close(): Promise<void> {
    this.#open = false;
  }

  #use(): Map<string, Session> {
    if (!this.#open) throw closedError(this.kind);
    return this.#sessions;
  }
}

/** Drops whole old turns, keeping the newest `state` entry of each key. Returns the number of entries dropped. */
function pruneSession(s: Session, maxMessages: number): number {
  const turns = new Map<string, TurnSummary>();
  const newestState = new Map<string, number>();
  for (const e of s.entries) {
    let t = turns.get(e.turnId);
    if (!t) turns.set(e.turnId, (t = { turnId: e.turnId, messages: 0 }));
    if (isMessage(e.type)) t.messages++;
    else if (e.type === 'state') newestState.set(e.key, e.seq);
  }
  const plan = planPrune([...turns.values()], s.info.openTurn, maxMessages);
  const drop = new Set(plan.turnIds);
  const keep = new Set(newestState.values());
  const before = s.entries.length;
  s.entries = s.entries.filter((e) => !drop.has(e.turnId) || keep.has(e.seq));
  s.messages -= plan.messages;
  return before - s.entries.length;
}
