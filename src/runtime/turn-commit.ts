// Committing a turn when other processes write the same store (the CLI beside a server, several instances on one
// PostgreSQL). Seqs are assigned here, per session, without asking the store; another writer that appended in the
// meantime makes the append fail as a conflict. The turn's entries are append-only and carry its turn id, so the cure
// is safe: read which of them the store has, number the rest after the session's last entry, append again.
import type { Entry, JSONValue, SessionKey } from '../core/index.js';
import { SwiftletError } from '../core/index.js';
import type { GroupCommitWriter, SessionStore } from '../store/index.js';
import type { SessionCache, SessionRecord } from './session-cache.js';

/** Every entry a turn handed to the writer, in order, and the `create` of its session if the turn made it. */
export interface TurnWrites {
  entries: Entry[];
  create: { agent: string; metadata: { [key: string]: JSONValue }; createdAt: number } | undefined;
  /** A commit of this turn succeeded: its session existed in the store then (its `create` was written). */
  committed: boolean;
}

/** Attempts after the first: each one follows a fresh read of the session, so only a writer racing again needs more. */
const RESEQUENCE_ATTEMPTS = 3;

/**
 * Resolves once every entry of the turn is committed. After a failure, re-sequences and retries; the hot copy of the
 * session is then dropped (it lacks the other writer's entries), so the next turn loads the session whole. Rejects
 * with the last error when the entries cannot be written, or SESSION_NOT_FOUND when the session was deleted meanwhile.
 */
export async function commitTurn(
  p: { writer: GroupCommitWriter; store: SessionStore; cache: SessionCache; resequenced: { count: number } },
  rec: SessionRecord,
  cacheKey: string,
  written: TurnWrites,
): Promise<void> {
  const key: SessionKey = { tenant: rec.info.tenant, id: rec.info.id };
  let error: unknown;
  try {
    await p.writer.commit(key);
    written.committed = true;
    return;
  } catch (err) {
    error = err;
  }
  for (let attempt = 0; attempt < RESEQUENCE_ATTEMPTS; attempt++) {
    p.writer.recover(key);
    p.cache.delete(cacheKey);
    const rest = await unwritten(p.store, key, written);
    if (rest === undefined) {
      throw new SwiftletError('SWIFTLET_ERR_SESSION_NOT_FOUND', `session ${key.id} was deleted while the turn ran`, {
        cause: error,
      });
    }
    if (rest.entries.length === 0) return;
    p.resequenced.count++;
    p.writer.enqueue({ tenant: key.tenant, sessionId: key.id, ...rest });
    try {
      await p.writer.commit(key);
      written.committed = true;
      rec.info.lastSeq = rest.entries.at(-1)!.seq;
      return;
    } catch (err) {
      error = err;
    }
  }
  p.writer.recover(key);
  throw error;
}

/**
 * The turn's entries the store does not have, numbered after the session's last stored entry (with the session's
 * `create` when the store has no such session and this turn made it); undefined when the session is gone.
 */
async function unwritten(
  store: SessionStore,
  key: SessionKey,
  written: TurnWrites,
): Promise<(Pick<TurnWrites, 'entries'> & { create?: NonNullable<TurnWrites['create']> }) | undefined> {
  const first = written.entries[0];
  if (first === undefined) return { entries: [] };
  const info = await store.getSession(key);
  if (info === undefined) {
    // Made by this turn and never committed (its first append failed): create it now. Otherwise it was deleted. (A
    // session this turn made whose create went out write-behind and was deleted before any commit of the turn looks
    // like the first case, and comes back with the turn; nothing in the store tells the two apart.)
    if (written.create === undefined || written.committed) return undefined;
    return { create: written.create, entries: renumber(written.entries, 0) };
  }
  // Flushes go in order, so what the store has of this turn is a prefix of what it wrote.
  const stored = await store.load(key, { afterSeq: Math.min(first.seq, info.lastSeq + 1) - 1 });
  const ours = stored.filter((e) => e.turnId === first.turnId);
  let kept = 0;
  while (kept < ours.length && sameEntry(ours[kept]!, written.entries[kept])) kept++;
  if (kept < ours.length) {
    // Entries of this turn it did not write: another process took this one for dead and closed the turn.
    throw new SwiftletError(
      'SWIFTLET_ERR_STORE',
      `the turn was closed by another process sharing the store (it saw this one as stopped)`,
      { retryable: false },
    );
  }
  return { entries: renumber(written.entries.slice(kept), info.lastSeq) };
}

function sameEntry(stored: Entry, written: Entry | undefined): boolean {
  return written !== undefined && stored.type === written.type && stored.at === written.at;
}

function renumber(entries: Entry[], after: number): Entry[] {
  return entries.map((e, i) => ({ ...e, seq: after + 1 + i }));
}
