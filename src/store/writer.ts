import { channel } from 'node:diagnostics_channel';
import { performance } from 'node:perf_hooks';
import { CHANNELS, SwiftletError, sessionKeyString, type SessionKey } from '../core/index.js';
import type { AppendBatch, SessionStore } from './types.js';

/** Published after every flush, only when someone listens. */
export interface StoreCommitMessage {
  /** Sessions written by the flush (batches of one session are merged). */
  batches: number;
  entries: number;
  durationMs: number;
  error?: unknown;
}

export const commitChannel = channel(CHANNELS.storeCommit);

export interface GroupCommitWriterOptions {
  /**
   * Write-behind delay: entries nobody waits for (a running turn's progress, relaxed-mode replies) are flushed at
   * the latest this long after they arrive. `commit()` flushes at once instead (batches of the same event-loop tick
   * go together), so a durable turn never waits for this timer. On a crash, what was enqueued in the last
   * `flushIntervalMs` plus the one transaction in flight can be lost: in durable mode that is only progress of turns
   * not yet acknowledged; in relaxed mode it includes acknowledged replies.
   */
  flushIntervalMs: number;
  /** Entries per transaction (whole batches; a single larger batch still goes alone). Default 5000. */
  maxBatchEntries?: number;
}

export interface GroupCommitStats {
  transactions: number;
  entries: number;
  /** Entries in the last transaction. */
  lastBatchSize: number;
  lastCommitMs: number;
  /** Entries enqueued and not yet committed or failed (queued or in the running flush). */
  pending: number;
}

interface Waiter {
  /** Resolves once every batch numbered below this has been flushed. */
  target: number;
  /** The session waited on (its key string), or undefined for everything. */
  session: string | undefined;
  error: unknown;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * Gathers many sessions' appends into one store transaction. Batches are flushed in the order they were enqueued;
 * a session's batches in one flush are merged. One flush runs at a time.
 */
export class GroupCommitWriter {
  #store: SessionStore;
  #intervalMs: number;
  #maxEntries: number;
  #queue: AppendBatch[] = [];
  #queuedEntries = 0;
  #inFlightEntries = 0;
  /** Batches ever enqueued, and ever flushed (committed or failed); flushes go in order, so these are positions. */
  #enqueued = 0;
  #flushed = 0;
  #waiters: Waiter[] = [];
  #running = false;
  #closing: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;
  /**
   * Sessions whose append failed, with the error. Their later batches are failed without being written: a batch
   * written after a lost one would leave a hole in the session's turn (or, seqs permitting, land after another
   * writer's entries). The turn that owns the session clears it once it has dealt with the failure.
   */
  #failed = new Map<string, unknown>();
  /** Batches enqueued and not yet flushed, per session key. */
  #pendingBySession = new Map<string, number>();
  #stats = { transactions: 0, entries: 0, lastBatchSize: 0, lastCommitMs: 0 };

  constructor(store: SessionStore, options: GroupCommitWriterOptions) {
    this.#store = store;
    this.#intervalMs = options.flushIntervalMs;
    this.#maxEntries = options.maxBatchEntries ?? 5000;
  }

  get stats(): GroupCommitStats {
    return { ...this.#stats, pending: this.#queuedEntries + this.#inFlightEntries };
  }

  enqueue(batch: AppendBatch): void {
    if (this.#closing) throw new SwiftletError('SWIFTLET_ERR_SHUTTING_DOWN', 'the session writer is closed');
    this.#queue.push(batch);
    this.#enqueued++;
    const key = sessionKeyString(batch.tenant, batch.sessionId);
    this.#pendingBySession.set(key, (this.#pendingBySession.get(key) ?? 0) + 1);
    this.#queuedEntries += batch.entries.length;
    if (this.#queuedEntries >= this.#maxEntries) this.#kick();
    else if (!this.#running && this.#timer === undefined) this.#schedule();
  }

  /** A write-behind flush for entries nobody is waiting on yet. */
  #schedule(): void {
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#kick();
    }, this.#intervalMs);
    this.#timer.unref();
  }

  /**
   * Resolves when everything enqueued before the call is committed; rejects with the store's error if a flush it
   * waited for failed. With `session`, only a failure of that session's entries rejects: when a flush fails on one
   * session's conflict, the other sessions of that flush are committed on their own.
   */
  commit(session?: SessionKey): Promise<void> {
    const key = session === undefined ? undefined : sessionKeyString(session.tenant, session.id);
    const failed = key === undefined ? undefined : this.#failed.get(key);
    if (failed !== undefined && this.#flushed === this.#enqueued) return Promise.reject(failed);
    if (this.#flushed === this.#enqueued) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.#waiters.push({ target: this.#enqueued, session: key, error: undefined, resolve, reject });
      this.#kick();
    });
  }

  /** Whether entries of this session are enqueued or being written (the store does not have them yet). */
  hasPending(session: SessionKey): boolean {
    return this.#pendingBySession.has(sessionKeyString(session.tenant, session.id));
  }

  /**
   * The error that failed this session's entries, if any, now forgotten: the caller has reloaded the session from the
   * store (and re-sequenced what it still had to write), so its next batches are written again.
   */
  recover(session: SessionKey): unknown {
    const key = sessionKeyString(session.tenant, session.id);
    const err = this.#failed.get(key);
    this.#failed.delete(key);
    return err;
  }

  /** Flushes everything, stops the timer; later `enqueue` calls throw. Rejects if the last flushes failed. */
  close(): Promise<void> {
    if (this.#closing) return this.#closing;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#closing = this.commit();
    return this.#closing;
  }

  /** Starts the flush loop on the next turn of the event loop, so that batches of the same tick go together. */
  #kick(): void {
    if (this.#running) return;
    this.#running = true;
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    setImmediate(() => void this.#loop());
  }

  async #loop(): Promise<void> {
    try {
      // One flush for whatever is queued; more only while someone waits (or the queue is over its bound).
      if (this.#queue.length > 0) await this.#flush();
      while (this.#queue.length > 0 && this.#mustDrain()) await this.#flush();
    } finally {
      // Set in the same synchronous step as the last queue check, so no enqueue can slip between the two.
      this.#running = false;
      if (this.#queue.length > 0 && this.#closing === undefined) this.#schedule();
    }
  }

  #mustDrain(): boolean {
    return this.#waiters.length > 0 || this.#closing !== undefined || this.#queuedEntries >= this.#maxEntries;
  }

  async #flush(): Promise<void> {
    let n = 0;
    let entries = 0;
    while (n < this.#queue.length && (n === 0 || entries + this.#queue[n]!.entries.length <= this.#maxEntries)) {
      entries += this.#queue[n]!.entries.length;
      n++;
    }
    const start = this.#flushed;
    const taken = this.#queue.splice(0, n);
    let batches = mergeBySession(taken);
    this.#queuedEntries -= entries;
    this.#inFlightEntries = entries;
    const t0 = performance.now();
    let error: unknown;
    let failed: Map<string, unknown> | undefined;
    if (this.#failed.size > 0) {
      const held = batches.filter((b) => this.#failed.has(sessionKeyString(b.tenant, b.sessionId)));
      if (held.length > 0) {
        failed = new Map(held.map((b) => [sessionKeyString(b.tenant, b.sessionId), this.#failedFor(b)]));
        batches = batches.filter((b) => !failed!.has(sessionKeyString(b.tenant, b.sessionId)));
      }
    }
    try {
      if (batches.length > 0) {
        this.#stats.transactions++;
        await this.#store.append(batches);
      }
    } catch (err) {
      error = err;
      const lost = await this.#isolate(batches, err);
      failed = failed ? new Map([...failed, ...lost]) : lost;
      for (const [key, e] of lost) this.#failed.set(key, e);
    }
    const durationMs = performance.now() - t0;
    this.#inFlightEntries = 0;
    this.#flushed = start + n;
    for (const b of taken) {
      const key = sessionKeyString(b.tenant, b.sessionId);
      const left = (this.#pendingBySession.get(key) ?? 1) - 1;
      if (left === 0) this.#pendingBySession.delete(key);
      else this.#pendingBySession.set(key, left);
    }
    const s = this.#stats;
    s.entries += entries;
    s.lastBatchSize = entries;
    s.lastCommitMs = durationMs;
    if (commitChannel.hasSubscribers) {
      const msg: StoreCommitMessage = { batches: batches.length, entries, durationMs };
      if (error !== undefined) msg.error = error;
      commitChannel.publish(msg);
    }
    this.#settle(start, failed);
  }

  /**
   * A conflict on one session must not fail the turns of every other session in the transaction: when the error
   * cannot be cured by retrying, each session is written on its own. Returns the sessions that failed.
   */
  async #isolate(batches: AppendBatch[], err: unknown): Promise<Map<string, unknown>> {
    const failed = new Map<string, unknown>();
    const retryable = !SwiftletError.isInstance(err) || err.retryable;
    if (batches.length === 1 || retryable) {
      for (const b of batches) failed.set(sessionKeyString(b.tenant, b.sessionId), err);
      return failed;
    }
    for (const b of batches) {
      try {
        this.#stats.transactions++;
        await this.#store.append([b]);
      } catch (e) {
        failed.set(sessionKeyString(b.tenant, b.sessionId), e);
      }
    }
    return failed;
  }

  #failedFor(b: AppendBatch): unknown {
    return this.#failed.get(sessionKeyString(b.tenant, b.sessionId));
  }

  #settle(start: number, failed: Map<string, unknown> | undefined): void {
    const keep: Waiter[] = [];
    for (const w of this.#waiters) {
      if (failed && w.target > start && w.error === undefined) {
        if (w.session === undefined) w.error = failed.values().next().value;
        else if (failed.has(w.session)) w.error = failed.get(w.session);
      }
      if (w.target > this.#flushed) keep.push(w);
      else if (w.error === undefined) w.resolve();
      else w.reject(w.error);
    }
    this.#waiters = keep;
  }
}

/** One batch per session, in first-seen order; later batches' entries follow, the first `create` is kept. */
function mergeBySession(batches: AppendBatch[]): AppendBatch[] {
  const bySession = new Map<string, AppendBatch>();
  for (const b of batches) {
    const key = sessionKeyString(b.tenant, b.sessionId);
    const prev = bySession.get(key);
    if (!prev) bySession.set(key, { ...b, entries: b.entries.slice() });
    else {
      prev.entries.push(...b.entries);
      if (!prev.create && b.create) prev.create = b.create;
    }
  }
  return [...bySession.values()];
}
