// Adapter-independent logic: what an append changes per session, and which turns a prune drops. Every adapter runs
// the same rules, so the contract suite tests them once per adapter.
import { isValidTenant, sessionKeyString, type Entry, type EntryType, type JSONValue } from '../core/index.js';
import { conflictError, invalidBatchError } from './errors.js';
import type { AppendBatch, OpenTurn } from './types.js';

const MESSAGE_TYPES: ReadonlySet<EntryType> = new Set<EntryType>(['user', 'assistant', 'tool_result']);

/** A row of the SQL adapters' open-turn queries. */
export interface OpenTurnRow {
  tenant: string;
  id: string;
  open_turn: string;
  open_owner: string | null;
}

export function openTurnOf(r: OpenTurnRow): OpenTurn {
  return {
    tenant: r.tenant,
    sessionId: r.id,
    turnId: r.open_turn,
    ...(r.open_owner === null ? {} : { owner: r.open_owner }),
  };
}

export function isMessage(type: EntryType): boolean {
  return MESSAGE_TYPES.has(type);
}

/** The SQL form of the message-type test, for adapters counting messages in the database. */
export const MESSAGE_TYPES_SQL = "('user', 'assistant', 'tool_result')";

export interface SessionWrite {
  tenant: string;
  id: string;
  create?: { agent: string; metadata: { [key: string]: JSONValue }; createdAt: number };
  /** The session's lastSeq before this append (0 for a new session); the adapter checks it atomically. */
  expectedSeq: number;
  lastSeq: number;
  updatedAt: number;
  /** `undefined`: leave as is; `null`: clear (turn_end); string: the turn that started. */
  openTurn: string | null | undefined;
  /** Message entries added (user, assistant, tool_result). */
  messages: number;
  /**
   * The title of the first user entry of this write with text in it. The adapter stores it only when the session has
   * no title yet, so a session keeps the title of its first user message for good.
   */
  title?: string;
  entries: Entry[];
}

/** At most this many characters (grapheme clusters) in a session's title, the ellipsis included. */
export const TITLE_LENGTH = 80;

/**
 * Control characters (NUL included, which PostgreSQL text refuses) and bidirectional overrides, which would let a title
 * reorder the listing it is shown in. Lone surrogates become U+FFFD, so that a title is valid UTF-8.
 */
const UNPRINTABLE = /[\p{Cc}\u202A-\u202E\u2066-\u2069]+/gu;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
/** Only the start of a long message is read: every append with a user entry computes a title (the store keeps one). */
const TITLE_SOURCE = 4096;

/**
 * A session's title from a user message: control characters dropped, whitespace collapsed, cut to TITLE_LENGTH
 * characters on a grapheme boundary (never inside an emoji or a letter with its accents), "…" marking the cut.
 * Undefined for a blank text.
 */
export function sessionTitle(text: string): string | undefined {
  const long = text.length > TITLE_SOURCE;
  const head = long ? text.slice(0, TITLE_SOURCE) : text;
  const flat = head.replace(UNPRINTABLE, ' ').replace(LONE_SURROGATE, '\uFFFD').replace(/\s+/g, ' ').trim();
  if (flat === '') return undefined;
  // A short text needs no cut (a grapheme is at least one UTF-16 unit): no segmentation on the common path.
  if (flat.length <= TITLE_LENGTH && !long) return flat;
  let end = 0;
  let count = 0;
  for (const { index } of segmenter().segment(flat)) {
    if (count === TITLE_LENGTH - 1) end = index;
    if (++count > TITLE_LENGTH) return flat.slice(0, end).trimEnd() + '…';
  }
  // At most TITLE_LENGTH characters left from a long text (mostly whitespace): the rest was cut.
  return long ? cut(flat, count, end) : flat;
}

function cut(flat: string, count: number, end: number): string {
  return (count < TITLE_LENGTH ? flat : flat.slice(0, end).trimEnd()) + '…';
}

let graphemes: Intl.Segmenter | undefined;
const segmenter = (): Intl.Segmenter => (graphemes ??= new Intl.Segmenter(undefined, { granularity: 'grapheme' }));

/**
 * Groups batches by session (several batches for one session in one call are concatenated in order) and checks that
 * each session's seqs are contiguous. Sessions come out sorted by (tenant, id) so that concurrent transactions lock
 * rows in one order and cannot deadlock.
 */
export function planAppend(batches: readonly AppendBatch[]): SessionWrite[] {
  const writes = new Map<string, SessionWrite>();
  for (const batch of batches) {
    const key = sessionKeyString(batch.tenant, batch.sessionId);
    let w = writes.get(key);
    if (w === undefined) {
      checkTenant(batch.tenant, batch.sessionId);
      // Without `create`, the first entry tells which lastSeq the caller saw.
      const expectedSeq = batch.create ? 0 : -1;
      w = {
        tenant: batch.tenant,
        id: batch.sessionId,
        ...(batch.create ? { create: batch.create } : {}),
        expectedSeq,
        lastSeq: expectedSeq,
        updatedAt: batch.create?.createdAt ?? 0,
        openTurn: undefined,
        messages: 0,
        entries: [],
      };
      writes.set(key, w);
    } else if (batch.create) {
      throw conflictError(batch.sessionId, 'it is created twice in one append');
    }
    for (const entry of batch.entries) {
      if (!Number.isSafeInteger(entry.seq) || entry.seq < 1) {
        throw invalidBatchError(batch.sessionId, `seq ${entry.seq} is not a positive integer`);
      }
      if (w.lastSeq === -1) w.expectedSeq = w.lastSeq = entry.seq - 1;
      if (entry.seq !== w.lastSeq + 1) {
        throw invalidBatchError(batch.sessionId, `seq ${entry.seq} does not follow seq ${w.lastSeq}`);
      }
      w.lastSeq = entry.seq;
      w.updatedAt = Math.max(w.updatedAt, entry.at);
      if (entry.type === 'turn_start') w.openTurn = entry.turnId;
      else if (entry.type === 'turn_end') w.openTurn = null;
      else if (MESSAGE_TYPES.has(entry.type)) {
        w.messages++;
        if (entry.type === 'user' && w.title === undefined) {
          const title = sessionTitle(entry.text);
          if (title !== undefined) w.title = title;
        }
      }
      w.entries.push(entry);
    }
  }
  // A batch with neither entries nor `create` changes nothing.
  const out = [...writes.values()].filter((w) => w.create !== undefined || w.entries.length > 0);
  return out.sort((a, b) => byText(a.tenant, b.tenant) || byText(a.id, b.id));
}

function byText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export interface TurnSummary {
  turnId: string;
  /** Message entries of the turn. */
  messages: number;
}

/**
 * Which turns to drop so that at most `maxMessages` message entries remain: whole turns, oldest first (so a tool call
 * never loses its result), never the open turn. `turns` must be ordered oldest first.
 */
export function planPrune(
  turns: readonly TurnSummary[],
  openTurn: string | undefined,
  maxMessages: number,
): { turnIds: string[]; messages: number } {
  let total = 0;
  for (const t of turns) total += t.messages;
  const turnIds: string[] = [];
  let dropped = 0;
  for (const t of turns) {
    if (total - dropped <= maxMessages) break;
    if (t.turnId === openTurn) continue;
    turnIds.push(t.turnId);
    dropped += t.messages;
  }
  return { turnIds, messages: dropped };
}

/** Splits an entry into the indexed columns and the versioned JSON payload (which keeps `v`). */
export function encodeEntry(entry: Entry): { type: EntryType; turnId: string; at: number; seq: number; data: string } {
  const { seq, turnId, at, type, ...payload } = entry;
  return { seq, turnId, at, type, data: JSON.stringify(payload) };
}

export function decodeEntry(seq: number, turnId: string, type: string, at: number, payload: object): Entry {
  return { ...payload, type, turnId, at, seq } as Entry;
}

/** Refuses a name that is not a tenant's (a store never holds one, so no key string can be ambiguous). */
export function checkTenant(tenant: string, sessionId: string): void {
  if (!isValidTenant(tenant)) {
    throw invalidBatchError(sessionId, `tenant ${JSON.stringify(tenant)} is not a tenant name`);
  }
}
