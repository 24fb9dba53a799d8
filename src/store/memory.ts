import type { Entry, SessionInfo } from '../core/index.js';
import { closedError, conflictError, notFoundError } from './errors.js';
import { afterCursor, decodeCursor, encodeCursor, listLimit } from './cursor.js';
import { isMessage, planAppend, planPrune, type SessionWrite, type TurnSummary } from './plan.js';
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

/**
 * Sessions in a Map, for tests and `driver: memory`. Values are cloned on the way in and out, so callers can never
 * alias stored state, as with the SQL adapters.
 */
export class MemoryStore implements SessionStore {
  readonly kind = 'memory';
  #sessions = new Map<string, Session>();
  #open = false;

  async init(): Promise<void> {
    this.#open = true;
  }

  async append(batches: readonly AppendBatch[]): Promise<void> {
    const sessions = this.#use();
    const writes = planAppend(batches);
    // Check everything before changing anything: the call is all or nothing.
    for (const w of writes) {
      const s = sessions.get(w.id);
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
    let s = sessions.get(w.id);
    if (!s) {
      const c = w.create!;
      const info: SessionInfo = {
        id: w.id,
        agent: c.agent,
        createdAt: c.createdAt,
        updatedAt: c.createdAt,
        lastSeq: 0,
        metadata: structuredClone(c.metadata),
      };
      s = { info, entries: [], messages: 0 };
      sessions.set(w.id, s);
    }
    for (const e of w.entries) s.entries.push(structuredClone(e));
    s.messages += w.messages;
    s.info.lastSeq = w.lastSeq;
    s.info.updatedAt = Math.max(s.info.updatedAt, w.updatedAt);
    if (typeof w.openTurn === 'string') s.info.openTurn = w.openTurn;
    else if (w.openTurn === null) delete s.info.openTurn;
  }

  async getSession(sessionId: string): Promise<SessionInfo | undefined> {
    const s = this.#use().get(sessionId);
    return s && structuredClone(s.info);
  }

  async load(sessionId: string, options: LoadOptions = {}): Promise<Entry[]> {
    const s = this.#use().get(sessionId);
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

  async list(filter: ListFilter = {}): Promise<SessionPage> {
    const limit = listLimit(filter.limit);
    const cursor = filter.cursor === undefined ? undefined : decodeCursor(filter.cursor);
    const rows = [...this.#use().values()]
      .map((s) => s.info)
      .filter((i) => (filter.agent === undefined || i.agent === filter.agent) && (!cursor || afterCursor(i, cursor)))
      .sort((a, b) => b.updatedAt - a.updatedAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      sessions: structuredClone(page),
      ...(rows.length > limit && last ? { nextCursor: encodeCursor(last) } : {}),
    };
  }

  async delete(sessionId: string): Promise<boolean> {
    return this.#use().delete(sessionId);
  }

  async prune(policy: PrunePolicy): Promise<PruneResult> {
    const sessions = this.#use();
    const result: PruneResult = { sessionsExpired: 0, entriesDropped: 0 };
    if (policy.ttlMs !== undefined) {
      const cutoff = (policy.now ?? Date.now()) - policy.ttlMs;
      for (const [id, s] of sessions) {
        if (s.info.updatedAt < cutoff && s.info.openTurn === undefined) {
          sessions.delete(id);
          result.sessionsExpired++;
        }
      }
    }
    if (policy.maxMessages !== undefined) {
      for (const s of sessions.values()) {
        if (s.messages > policy.maxMessages) result.entriesDropped += pruneSession(s, policy.maxMessages);
      }
    }
    return result;
  }

  async openTurns(): Promise<OpenTurn[]> {
    const out: OpenTurn[] = [];
    for (const s of this.#use().values()) {
      if (s.info.openTurn !== undefined) out.push({ sessionId: s.info.id, turnId: s.info.openTurn });
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
