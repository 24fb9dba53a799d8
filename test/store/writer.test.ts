import assert from 'node:assert/strict';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { describe, it } from 'node:test';
import { SwiftletError, type EntryData } from '../../src/core/index.js';
import { GroupCommitWriter, MemoryStore, type AppendBatch, type StoreCommitMessage } from '../../src/store/index.js';
import { Log, uid } from './contract.js';

/** A memory store that records each append call (one call = one transaction), and can hold or fail them. */
class SpyStore extends MemoryStore {
  calls: AppendBatch[][] = [];
  /** Errors thrown by the next append calls, in order. */
  failures: unknown[] = [];
  #gate: Promise<void> | undefined;
  #open: (() => void) | undefined;
  #watchers: { n: number; resolve: () => void }[] = [];

  override async append(batches: readonly AppendBatch[]): Promise<void> {
    this.calls.push([...batches]);
    this.#watchers = this.#watchers.filter((w) => (this.calls.length >= w.n ? (w.resolve(), false) : true));
    if (this.#gate) await this.#gate;
    const failure = this.failures.shift();
    if (failure !== undefined) throw failure;
    return super.append(batches);
  }

  /** Holds every append until `release()`. */
  hold(): void {
    this.#gate = new Promise((resolve) => (this.#open = resolve));
  }

  release(): void {
    this.#gate = undefined;
    this.#open?.();
  }

  /** Resolves once `n` append calls have started; fails after a deadline. */
  calls$(n: number, deadlineMs = 5000): Promise<void> {
    if (this.calls.length >= n) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`only ${this.calls.length} of ${n} appends`)), deadlineMs);
      this.#watchers.push({ n, resolve: () => (clearTimeout(timer), resolve()) });
    });
  }
}

async function spyStore(): Promise<SpyStore> {
  const store = new SpyStore();
  await store.init();
  return store;
}

const user = (text: string): EntryData => ({ type: 'user', text });
const entriesOf = (call: AppendBatch[]): number => call.reduce((n, b) => n + b.entries.length, 0);
const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('GroupCommitWriter', () => {
  it('writes the sessions enqueued in one tick in one transaction', async () => {
    const store = await spyStore();
    const writer = new GroupCommitWriter(store, { flushIntervalMs: 1000 });
    const logs = Array.from({ length: 50 }, () => new Log(uid('tick')));
    for (const log of logs) writer.enqueue(log.create(log.turn('t1', [user('hi')])));
    await writer.commit();
    assert.equal(store.calls.length, 1);
    assert.equal(store.calls[0]!.length, 50);
    assert.deepEqual(writer.stats, {
      transactions: 1,
      entries: 150,
      lastBatchSize: 150,
      lastCommitMs: writer.stats.lastCommitMs,
      pending: 0,
    });
    for (const log of logs) assert.equal((await store.load(log.key)).length, 3);
    await writer.close();
  });

  it('commits a lone session at once when it waits, without waiting for any timer', async () => {
    const store = await spyStore();
    // An interval no test would wait for: if the flush depended on it, the append would never come.
    const writer = new GroupCommitWriter(store, { flushIntervalMs: 1e9 });
    const log = new Log(uid('lone'));
    writer.enqueue(log.create(log.turn('t1', [user('hi')])));
    await writer.commit(log.key);
    assert.equal(store.calls.length, 1);
    assert.equal((await store.load(log.key)).length, 3);
    await writer.close();
  });

  it('gathers what arrives during a flush into the next one, merging batches of one session in order', async () => {
    const store = await spyStore();
    const writer = new GroupCommitWriter(store, { flushIntervalMs: 1000 });
    const first = new Log(uid('first'));
    store.hold();
    writer.enqueue(first.create([first.entry('t1', { type: 'turn_start', agent: 'a' })]));
    await store.calls$(1);
    const others = [new Log(uid('b')), new Log(uid('c')), new Log(uid('d'))];
    for (const log of others) writer.enqueue(log.create(log.turn('t1', [user('x')])));
    writer.enqueue(first.batch([first.entry('t1', user('q'))]));
    writer.enqueue(
      first.batch([
        first.entry('t1', { type: 'turn_end', outcome: 'final', usage: { inputTokens: 0, outputTokens: 0 }, steps: 0 }),
      ]),
    );
    assert.equal(writer.stats.pending, 12);
    const done = writer.commit();
    await tick();
    assert.equal(store.calls.length, 1, 'the second flush waits for the first');
    store.release();
    await done;
    assert.equal(store.calls.length, 2);
    const second = store.calls[1]!;
    assert.equal(second.length, 4);
    const merged = second.find((b) => b.sessionId === first.sessionId)!;
    assert.deepEqual(
      merged.entries.map((e) => e.seq),
      [2, 3],
    );
    assert.deepEqual(
      (await store.load(first.key)).map((e) => e.type),
      ['turn_start', 'user', 'turn_end'],
    );
    assert.equal(writer.stats.pending, 0);
    await writer.close();
  });

  it('keeps the create of the first batch when one session is merged', async () => {
    const store = await spyStore();
    const writer = new GroupCommitWriter(store, { flushIntervalMs: 1000 });
    const log = new Log(uid('merge'));
    const turn = log.turn('t1', [user('a'), user('b')]);
    writer.enqueue(log.create(turn.slice(0, 1), 'agent-m', { k: 1 }));
    for (const e of turn.slice(1)) writer.enqueue(log.batch([e]));
    await writer.commit();
    assert.equal(store.calls.length, 1);
    assert.equal(store.calls[0]!.length, 1);
    assert.deepEqual(store.calls[0]![0]!.create?.metadata, { k: 1 });
    assert.deepEqual(await store.load(log.key), turn);
    assert.equal((await store.getSession(log.key))?.agent, 'agent-m');
    await writer.close();
  });

  it('flushes entries nobody waits for after its interval, and on close', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const store = await spyStore();
    const writer = new GroupCommitWriter(store, { flushIntervalMs: 50 });
    const log = new Log(uid('relaxed'));
    writer.enqueue(log.create(log.turn('t1', [user('a')])));
    await tick();
    await tick();
    assert.equal(store.calls.length, 0, 'write-behind waits for its interval');
    assert.equal(writer.stats.pending, 3);
    t.mock.timers.tick(50);
    await store.calls$(1);
    writer.enqueue(log.batch(log.turn('t2', [user('b')])));
    await writer.close();
    assert.equal(store.calls.length, 2);
    assert.equal((await store.load(log.key)).length, 6);
    assert.throws(
      () => writer.enqueue(log.batch(log.turn('t3', [user('c')]))),
      (err) => SwiftletError.isInstance(err) && err.code === 'SWIFTLET_ERR_SHUTTING_DOWN',
    );
  });

  it('flushes at once when commit() is called, whatever the interval', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const store = await spyStore();
    const writer = new GroupCommitWriter(store, { flushIntervalMs: 1e9 });
    const log = new Log(uid('relaxed-commit'));
    writer.enqueue(log.create(log.turn('t1', [user('a')])));
    await writer.commit();
    assert.equal((await store.load(log.key)).length, 3);
    await writer.close();
  });

  it('rejects commit() when its flush fails, and still commits what comes later', async () => {
    const store = await spyStore();
    const writer = new GroupCommitWriter(store, { flushIntervalMs: 1000 });
    const boom = new SwiftletError('SWIFTLET_ERR_STORE', 'disk unavailable');
    store.failures.push(boom);
    const lost = new Log(uid('lost'));
    writer.enqueue(lost.create(lost.turn('t1', [user('a')])));
    await assert.rejects(writer.commit(), (err) => err === boom);
    const later = new Log(uid('later'));
    writer.enqueue(later.create(later.turn('t1', [user('b')])));
    await writer.commit();
    assert.equal((await store.load(later.key)).length, 3);
    assert.equal(await store.getSession(lost.key), undefined);
    assert.equal(writer.stats.pending, 0);
    await writer.close();
  });

  it('writes the other sessions of a flush when one session conflicts', async () => {
    const store = await spyStore();
    const writer = new GroupCommitWriter(store, { flushIntervalMs: 1000 });
    const seeded = new Log(uid('seeded'));
    await store.append([seeded.create(seeded.turn('t1', [user('a')]))]);
    const stale = new Log(seeded.sessionId);
    stale.seq = 1;
    const good = new Log(uid('good'));
    writer.enqueue(good.create(good.turn('t1', [user('g')])));
    writer.enqueue(stale.batch(stale.turn('t2', [user('late')])));
    const all = writer.commit();
    const mine = writer.commit(good.key);
    const theirs = writer.commit(seeded.key);
    await assert.rejects(all, /written concurrently/);
    await assert.rejects(theirs, /written concurrently/);
    await mine;
    assert.equal((await store.load(good.key)).length, 3);
    assert.equal((await store.load(seeded.key)).length, 3);
    await writer.close();
  });

  it("holds back a failed session's later batches until recover(): none lands after a lost one", async () => {
    const store = await spyStore();
    const writer = new GroupCommitWriter(store, { flushIntervalMs: 1000 });
    const log = new Log(uid('held'));
    await store.append([log.create(log.turn('t1', [user('a')]))]);
    const boom = new SwiftletError('SWIFTLET_ERR_STORE', 'disk unavailable');
    store.failures.push(boom);
    writer.enqueue(log.batch(log.turn('t2', [user('lost')])));
    await assert.rejects(writer.commit(log.key), (err) => err === boom);
    // The next batch would fit the store's last seq if the lost one were skipped: it must not be written.
    const next = new Log(log.sessionId);
    next.seq = 3;
    writer.enqueue(next.batch(next.turn('t3', [user('after')])));
    const calls = store.calls.length;
    await assert.rejects(writer.commit(log.key), (err) => err === boom);
    assert.equal(store.calls.length, calls, 'nothing was sent to the store');
    await assert.rejects(writer.commit(log.key), (err) => err === boom, 'still failed, with nothing queued');
    assert.equal((await store.load(log.key)).length, 3);
    // Once the owner has dealt with it, the session's batches are written again.
    assert.equal(writer.recover(log.key), boom);
    const again = new Log(log.sessionId);
    again.seq = 3;
    writer.enqueue(again.batch(again.turn('t3', [user('after')])));
    await writer.commit(log.key);
    assert.equal((await store.load(log.key)).length, 6);
    await writer.close();
  });

  it('splits a backlog larger than maxBatchEntries into transactions, in order', async () => {
    const store = await spyStore();
    const writer = new GroupCommitWriter(store, { flushIntervalMs: 1000, maxBatchEntries: 5 });
    const log = new Log(uid('split'));
    store.hold();
    writer.enqueue(log.create([log.entry('t1', user('0'))]));
    await store.calls$(1);
    for (let i = 1; i < 12; i++) writer.enqueue(log.batch([log.entry('t1', user(String(i)))]));
    store.release();
    await writer.commit();
    assert.deepEqual(store.calls.map(entriesOf), [1, 5, 5, 1]);
    assert.deepEqual(
      (await store.load(log.key)).map((e) => e.seq),
      Array.from({ length: 12 }, (_, i) => i + 1),
    );
    await writer.close();
  });

  it('publishes each flush on swiftlet:store:commit', async (t) => {
    const messages: StoreCommitMessage[] = [];
    const listener = (m: unknown): void => void messages.push(m as StoreCommitMessage);
    subscribe('swiftlet:store:commit', listener);
    t.after(() => unsubscribe('swiftlet:store:commit', listener));
    const store = await spyStore();
    const writer = new GroupCommitWriter(store, { flushIntervalMs: 1000 });
    const a = new Log(uid('diag-a'));
    const b = new Log(uid('diag-b'));
    writer.enqueue(a.create(a.turn('t1', [user('a')])));
    writer.enqueue(b.create(b.turn('t1', [user('b')])));
    await writer.commit();
    const boom = new SwiftletError('SWIFTLET_ERR_STORE', 'gone');
    store.failures.push(boom);
    writer.enqueue(a.batch(a.turn('t2', [user('c')])));
    await assert.rejects(writer.commit());
    await writer.close();
    assert.equal(messages.length, 2);
    assert.equal(messages[0]!.batches, 2);
    assert.equal(messages[0]!.entries, 6);
    assert.equal(messages[0]!.error, undefined);
    assert.ok(messages[0]!.durationMs >= 0);
    assert.equal(messages[1]!.error, boom);
  });
});
