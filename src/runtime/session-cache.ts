import type { Entry, EntryData, JSONValue, SessionInfo } from '../core/index.js';

/** A session as the runtime holds it while hot: its summary, the tail of its log and its key/value state. */
export interface SessionRecord {
  info: SessionInfo;
  /** True until the session's first entries are committed: the first append carries the `create`. */
  isNew: boolean;
  /**
   * The tail of the session's messages (user, assistant, tool_result entries) that a next turn's context can need.
   * Turn markers and state entries are in the store only, and so are the stored fields of the messages (seq, turn id,
   * time, format version): a hot session holds what the model will be sent.
   */
  entries: EntryData[];
  /** The session's key/value state; absent until a value is set (most sessions never have one). */
  state: Map<string, JSONValue> | undefined;
  /** Approximate bytes held (UTF-16 text of the entries plus fixed overhead). */
  bytes: number;
  /** Turns running or queued on it: a busy session is never evicted. */
  pins: number;
}

const ENTRY_OVERHEAD = 160;
const RECORD_OVERHEAD = 512;

export function entryBytes(entry: EntryData): number {
  switch (entry.type) {
    case 'user':
      return ENTRY_OVERHEAD + entry.text.length * 2;
    case 'assistant': {
      let n = ENTRY_OVERHEAD + entry.text.length * 2;
      for (const c of entry.toolCalls ?? []) n += 64 + (c.id.length + c.name.length + c.arguments.length) * 2;
      return n;
    }
    case 'tool_result':
      return ENTRY_OVERHEAD + (entry.output.length + entry.callId.length) * 2;
    case 'state':
      return jsonBytes(entry.value);
    default:
      return ENTRY_OVERHEAD;
  }
}

/** Approximate bytes of a state value held in a hot record's state map. */
export function jsonBytes(value: JSONValue): number {
  return ENTRY_OVERHEAD + JSON.stringify(value).length * 2;
}

/** Whether a hot record keeps this entry: the messages a model context is built from. */
export function isHotEntry(entry: EntryData): boolean {
  return entry.type === 'user' || entry.type === 'assistant' || entry.type === 'tool_result';
}

export function newRecordBytes(): number {
  return RECORD_OVERHEAD;
}

/**
 * Hot sessions, least recently used first out, bounded in bytes. Pinned sessions (a turn running or queued) stay
 * whatever the size; idle sessions are evicted once the total passes the bound and live only in the store.
 */
export class SessionCache {
  #map = new Map<string, SessionRecord>();
  #bytes = 0;
  #hits = 0;
  #misses = 0;
  readonly maxBytes: number;

  constructor(maxBytes: number) {
    this.maxBytes = maxBytes;
  }

  get(id: string): SessionRecord | undefined {
    const rec = this.#map.get(id);
    if (rec === undefined) {
      this.#misses++;
      return undefined;
    }
    this.#hits++;
    this.#map.delete(id);
    this.#map.set(id, rec);
    return rec;
  }

  set(id: string, rec: SessionRecord): void {
    const old = this.#map.get(id);
    if (old) this.#bytes -= old.bytes;
    this.#map.delete(id);
    this.#map.set(id, rec);
    this.#bytes += rec.bytes;
    this.evict();
  }

  /** Call after a record's `bytes` changed by `delta`. */
  grew(delta: number): void {
    this.#bytes += delta;
  }

  delete(id: string): void {
    const rec = this.#map.get(id);
    if (!rec) return;
    this.#bytes -= rec.bytes;
    this.#map.delete(id);
  }

  /** Drops every idle session (after pruning changed the store under the cache). */
  clearIdle(): void {
    for (const [id, rec] of this.#map) if (rec.pins === 0) this.delete(id);
  }

  evict(): void {
    if (this.#bytes <= this.maxBytes) return;
    for (const [id, rec] of this.#map) {
      if (this.#bytes <= this.maxBytes) break;
      if (rec.pins === 0) this.delete(id);
    }
  }

  get stats(): { sessions: number; bytes: number; hits: number; misses: number } {
    return { sessions: this.#map.size, bytes: this.#bytes, hits: this.#hits, misses: this.#misses };
  }
}

/** A hot record built from the stored session and its entries: messages kept, state folded, bytes counted. */
export function recordFrom(info: SessionInfo, entries: Entry[]): SessionRecord {
  let state: Map<string, JSONValue> | undefined;
  let bytes = newRecordBytes();
  const hot: EntryData[] = [];
  for (const e of entries) {
    if (e.type === 'state') (state ??= new Map()).set(e.key, e.value);
    else if (isHotEntry(e)) {
      hot.push(e);
      bytes += entryBytes(e);
    }
  }
  if (state) for (const value of state.values()) bytes += jsonBytes(value);
  const metadata = isEmpty(info.metadata) ? NO_METADATA : info.metadata;
  return { info: { ...info, metadata }, isNew: false, entries: hot, state, bytes, pins: 0 };
}

/** The metadata of the many sessions that have none, shared (never written to: metadata is set at creation only). */
export const NO_METADATA: { [key: string]: JSONValue } = Object.freeze({});

function isEmpty(o: object): boolean {
  for (const _ in o) return false;
  return true;
}
