// The SessionStore contract: every adapter runs these cases (memory, sqlite, postgres).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, describe, it, type TestContext } from 'node:test';
import {
  ALL_TENANTS,
  ENTRY_VERSION,
  LOCAL_TENANT,
  SwiftletError,
  type Entry,
  type EntryData,
  type JSONValue,
  type SessionKey,
} from '../../src/core/index.js';
import type { AppendBatch, SessionStore } from '../../src/store/index.js';

/** Returns an initialised store, or null when the test was skipped (service unavailable). */
export type MakeStore = (t: TestContext) => Promise<SessionStore | null>;

export function uid(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

/** Builds one session's log with contiguous seqs and increasing timestamps. */
export class Log {
  readonly sessionId: string;
  readonly tenant: string;
  seq = 0;
  at: number;

  constructor(sessionId: string, at = Date.now(), tenant = LOCAL_TENANT) {
    this.sessionId = sessionId;
    this.at = at;
    this.tenant = tenant;
  }

  get key(): SessionKey {
    return { tenant: this.tenant, id: this.sessionId };
  }

  entry(turnId: string, data: EntryData): Entry {
    return { ...data, v: ENTRY_VERSION, turnId, at: this.at++, seq: ++this.seq } as Entry;
  }

  /** A whole turn: turn_start, the given entries, then turn_end unless `open`. */
  turn(turnId: string, data: EntryData[], open = false): Entry[] {
    const out = [this.entry(turnId, { type: 'turn_start', agent: 'a' }), ...data.map((d) => this.entry(turnId, d))];
    if (!open) {
      out.push(
        this.entry(turnId, {
          type: 'turn_end',
          outcome: 'final',
          usage: { inputTokens: 1, outputTokens: 2 },
          steps: 1,
        }),
      );
    }
    return out;
  }

  create(entries: Entry[], agent = 'agent-a', metadata: { [key: string]: JSONValue } = {}): AppendBatch {
    const create = { agent, metadata, createdAt: entries[0]?.at ?? this.at };
    return { tenant: this.tenant, sessionId: this.sessionId, create, entries };
  }

  batch(entries: Entry[]): AppendBatch {
    return { tenant: this.tenant, sessionId: this.sessionId, entries };
  }
}

const local = (id: string): SessionKey => ({ tenant: LOCAL_TENANT, id });
const user = (text: string): EntryData => ({ type: 'user', text });
const assistant = (text: string): EntryData => ({ type: 'assistant', text });

function isStoreError(code: string, pattern?: RegExp): (err: unknown) => boolean {
  return (err) => {
    assert.ok(SwiftletError.isInstance(err), `expected a SwiftletError, got ${String(err)}`);
    assert.equal(err.code, code);
    if (pattern) assert.match(err.message, pattern);
    return true;
  };
}

export function storeContract(name: string, makeStore: MakeStore, cleanup?: () => Promise<void>): void {
  describe(`SessionStore contract: ${name}`, () => {
    if (cleanup) after(cleanup);

    async function open(t: TestContext): Promise<SessionStore | null> {
      const store = await makeStore(t);
      if (store) t.after(() => store.close());
      return store;
    }

    it('creates a session with its first append and reports it', async (t) => {
      const store = await open(t);
      if (!store) return;
      await store.init();
      const log = new Log(uid('create'));
      const entries = log.turn('t1', [user('hello'), assistant('hi')]);
      await store.append([log.create(entries, 'agent-a', { user: 'u1' })]);
      const info = await store.getSession(log.key);
      assert.deepEqual(info, {
        tenant: LOCAL_TENANT,
        id: log.sessionId,
        agent: 'agent-a',
        createdAt: entries[0]!.at,
        updatedAt: entries.at(-1)!.at,
        lastSeq: 4,
        title: 'hello',
        metadata: { user: 'u1' },
      });
      assert.deepEqual(await store.load(log.key), entries);
      assert.equal(await store.getSession(local(uid('missing'))), undefined);
      assert.deepEqual(await store.load(local(uid('missing'))), []);
      assert.equal(await store.ping(), true);
    });

    it('loads all, after a seq, the first or the last N entries', async (t) => {
      const store = await open(t);
      if (!store) return;
      const log = new Log(uid('load'));
      const first = log.turn('t1', [user('a'), assistant('b')]);
      const second = log.turn('t2', [user('c'), assistant('d')]);
      await store.append([log.create(first)]);
      await store.append([log.batch(second)]);
      const all = [...first, ...second];
      const id = log.key;
      assert.deepEqual(await store.load(id), all);
      assert.deepEqual(await store.load(id, { afterSeq: 4 }), all.slice(4));
      assert.deepEqual(await store.load(id, { limit: 3 }), all.slice(0, 3));
      assert.deepEqual(await store.load(id, { afterSeq: 2, limit: 3 }), all.slice(2, 5));
      assert.deepEqual(await store.load(id, { limit: 3, tail: true }), all.slice(-3));
      assert.deepEqual(await store.load(id, { afterSeq: 6, limit: 5, tail: true }), all.slice(6));
      assert.deepEqual(await store.load(id, { afterSeq: 8 }), []);
      assert.equal((await store.getSession(id))?.lastSeq, 8);
    });

    it('appends to many sessions in one call, all or nothing', async (t) => {
      const store = await open(t);
      if (!store) return;
      const a = new Log(uid('multi-a'));
      const b = new Log(uid('multi-b'));
      await store.append([a.create(a.turn('t1', [user('a')])), b.create(b.turn('t1', [user('b')]))]);
      assert.equal((await store.getSession(a.key))?.lastSeq, 3);
      assert.equal((await store.getSession(b.key))?.lastSeq, 3);

      // A duplicate seq inside one batch fails the call; the other session's batch is not written.
      const c = new Log(uid('multi-c'));
      const bad = b.turn('t2', [user('again')]);
      bad[1] = { ...bad[1]!, seq: bad[0]!.seq };
      await assert.rejects(store.append([c.create(c.turn('t1', [user('c')])), b.batch(bad)]), SwiftletError.isInstance);
      assert.equal(await store.getSession(c.key), undefined);
      assert.equal((await store.getSession(b.key))?.lastSeq, 3);

      // A conflict found by the database (stale lastSeq) rolls back what was already written in the transaction.
      // Ids sort so that the good sessions are written before the conflicting one.
      const good = new Log(`${a.sessionId}-0-new`);
      const stale = new Log(b.sessionId);
      stale.seq = 1;
      const more = a.turn('t2', [user('more')]);
      await assert.rejects(
        store.append([
          stale.batch(stale.turn('t9', [user('late')])),
          good.create(good.turn('t1', [user('g')])),
          a.batch(more),
        ]),
        isStoreError('SWIFTLET_ERR_STORE', /written concurrently/),
      );
      assert.equal(await store.getSession(good.key), undefined);
      assert.equal((await store.getSession(a.key))?.lastSeq, 3);
      assert.equal((await store.load(a.key)).length, 3);
      assert.equal((await store.load(b.key)).length, 3);
    });

    it('merges several batches for one session in one call', async (t) => {
      const store = await open(t);
      if (!store) return;
      const log = new Log(uid('merge'));
      const one = log.turn('t1', [user('a')]);
      const two = log.turn('t2', [user('b')]);
      await store.append([log.create(one), log.batch(two)]);
      assert.deepEqual(await store.load(log.key), [...one, ...two]);
    });

    it('titles a session by its first user message, once, in the append that writes it', async (t) => {
      const store = await open(t);
      if (!store) return;
      // An empty session, then a turn without a user message: no title yet.
      const log = new Log(uid('title'));
      await store.append([log.create([])]);
      assert.equal((await store.getSession(log.key))?.title, undefined);
      await store.append([log.batch(log.turn('t0', [assistant('welcome')]))]);
      assert.equal((await store.getSession(log.key))?.title, undefined);
      // Whitespace collapsed; a blank user message gives no title, so the next one with text is the title.
      await store.append([log.batch(log.turn('t1', [user(' \n '), user('  Plan\n\tmy   trip  '), user('second')]))]);
      assert.equal((await store.getSession(log.key))?.title, 'Plan my trip');
      // Later user messages, a move and a prune leave it as it is.
      await store.append([log.batch(log.turn('t2', [user('something else entirely'), assistant('ok')]))]);
      const to = uid('tt');
      assert.equal(await store.move(log.key, to), true);
      const moved = { tenant: to, id: log.sessionId };
      await store.prune(to, { maxMessages: 1 });
      assert.equal((await store.getSession(moved))?.title, 'Plan my trip');
      const listed = (await store.list(to)).sessions;
      assert.deepEqual(
        listed.map((s) => [s.id, s.title]),
        [[log.sessionId, 'Plan my trip']],
      );

      // A long first message is cut to 80 characters on a character boundary, the last one "…"; several batches for
      // one session in one call give the first user message of all of them.
      const long = new Log(uid('title-long'));
      const rocket = '🧑‍🚀'; // one character of five code points
      const text = `${'word '.repeat(15)}${rocket.repeat(10)} tail`;
      await store.append([long.create(long.turn('t1', [user(text)])), long.batch(long.turn('t2', [user('next')]))]);
      const title = (await store.getSession(long.key))?.title;
      assert.equal(title, `${'word '.repeat(15)}${rocket.repeat(4)}…`);
      assert.equal([...new Intl.Segmenter().segment(title!)].length, 80);

      // A failed append sets nothing.
      const failed = new Log(uid('title-failed'));
      await store.append([failed.create([])]);
      failed.seq = 1; // the writer thinks seq 1 exists: the store refuses the batch as a concurrent write
      await assert.rejects(
        store.append([failed.batch(failed.turn('t1', [user('never stored')]))]),
        SwiftletError.isInstance,
      );
      assert.equal((await store.getSession(failed.key))?.title, undefined);
    });

    it('rejects a duplicate seq as a concurrent write, and a second create', async (t) => {
      const store = await open(t);
      if (!store) return;
      const log = new Log(uid('dup'));
      const entries = log.turn('t1', [user('a')]);
      await store.append([log.create(entries)]);
      const dup = { ...entries[2]!, text: 'x' } as Entry;
      const conflict = (err: unknown): boolean => {
        isStoreError('SWIFTLET_ERR_STORE', /written concurrently/)(err);
        assert.equal((err as SwiftletError).retryable, false);
        return true;
      };
      await assert.rejects(store.append([log.batch([dup])]), conflict);
      const twin = new Log(log.sessionId);
      await assert.rejects(store.append([twin.create(twin.turn('t2', [user('b')]))]), conflict);
      assert.deepEqual(await store.load(log.key), entries);
    });

    it('refuses entries for a session that does not exist, and seqs that skip', async (t) => {
      const store = await open(t);
      if (!store) return;
      const ghost = new Log(uid('ghost'));
      ghost.seq = 4;
      await assert.rejects(
        store.append([ghost.batch(ghost.turn('t1', [user('a')]))]),
        isStoreError('SWIFTLET_ERR_SESSION_NOT_FOUND'),
      );
      const log = new Log(uid('gap'));
      await store.append([log.create(log.turn('t1', [user('a')]))]);
      log.seq += 1;
      await assert.rejects(store.append([log.batch(log.turn('t2', [user('b')]))]), isStoreError('SWIFTLET_ERR_STORE'));
      assert.equal((await store.getSession(log.key))?.lastSeq, 3);
    });

    it('lists by last update, newest first, in pages, filtered by agent', async (t) => {
      const store = await open(t);
      if (!store) return;
      const agent = uid('lister');
      const base = Date.now();
      const ids: string[] = [];
      // Seven sessions; two pairs share a timestamp, so the id orders them.
      for (const [i, offset] of [5, 4, 4, 3, 2, 2, 1].entries()) {
        const log = new Log(`${agent}-${i}`, base + offset * 10);
        await store.append([log.create([log.entry('t1', user(`s${i}`))], agent)]);
        ids.push(log.sessionId);
      }
      const other = new Log(uid('other'), base + 100);
      await store.append([other.create([other.entry('t1', user('x'))], uid('other-agent'))]);

      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await store.list(LOCAL_TENANT, { agent, limit: 3, ...(cursor ? { cursor } : {}) });
        assert.ok(page.sessions.length <= 3);
        seen.push(...page.sessions.map((s) => s.id));
        cursor = page.nextCursor;
        pages++;
      } while (cursor && pages < 10);
      assert.equal(pages, 3);
      assert.deepEqual(seen, ids);
      const page = await store.list(LOCAL_TENANT, { agent, limit: 10 });
      assert.equal(page.nextCursor, undefined);
      assert.equal(page.sessions[0]?.agent, agent);
      assert.ok((await store.list(ALL_TENANTS, { limit: 1000 })).sessions.some((s) => s.id === other.sessionId));
      await assert.rejects(
        store.list(LOCAL_TENANT, { cursor: 'not-a-cursor' }),
        isStoreError('SWIFTLET_ERR_INVALID_INPUT'),
      );
    });

    it('deletes a session and its entries', async (t) => {
      const store = await open(t);
      if (!store) return;
      const log = new Log(uid('delete'));
      await store.append([log.create(log.turn('t1', [user('a')], true))]);
      assert.equal(await store.delete(log.key), true);
      assert.equal(await store.getSession(log.key), undefined);
      assert.deepEqual(await store.load(log.key), []);
      assert.ok(!(await store.openTurns(ALL_TENANTS)).some((o) => o.sessionId === log.sessionId));
      assert.equal(await store.delete(log.key), false);
      // The id can be used again, from seq 1.
      const again = new Log(log.sessionId);
      await store.append([again.create(again.turn('t2', [user('b')]))]);
      assert.equal((await store.load(log.key)).length, 3);
    });

    it('tracks open turns: set by turn_start, cleared by turn_end', async (t) => {
      const store = await open(t);
      if (!store) return;
      const log = new Log(uid('open'));
      const closed = new Log(uid('closed'));
      await store.append([
        log.create(log.turn('t1', [user('a')], true)),
        closed.create(closed.turn('t1', [user('a')])),
      ]);
      const mine = async (): Promise<unknown[]> =>
        (await store.openTurns(ALL_TENANTS)).filter(
          (o) => o.sessionId === log.sessionId || o.sessionId === closed.sessionId,
        );
      // Each open turn names the store handle (the process) that opened it.
      const owner = { owner: store.instanceId };
      assert.deepEqual(await mine(), [{ tenant: LOCAL_TENANT, sessionId: log.sessionId, turnId: 't1', ...owner }]);
      assert.equal((await store.getSession(log.key))?.openTurn, 't1');
      // More entries of the same turn leave it open.
      await store.append([log.batch([log.entry('t1', assistant('b'))])]);
      assert.deepEqual(await mine(), [{ tenant: LOCAL_TENANT, sessionId: log.sessionId, turnId: 't1', ...owner }]);
      await store.append([
        log.batch([
          log.entry('t1', {
            type: 'turn_end',
            outcome: 'interrupted',
            usage: { inputTokens: 0, outputTokens: 0 },
            steps: 1,
          }),
        ]),
      ]);
      assert.deepEqual(await mine(), []);
      const info = await store.getSession(log.key);
      assert.ok(info && !('openTurn' in info));
    });

    it('prunes whole old turns, keeping tool calls with their results and the newest state of each key', async (t) => {
      const store = await open(t);
      if (!store) return;
      const log = new Log(uid('prune'));
      const call = { id: 'call_1', name: 'todo', arguments: '{}' };
      const t1 = log.turn('t1', [
        user('q1'),
        { type: 'assistant', text: '', toolCalls: [call] },
        { type: 'state', key: 'plan', value: { step: 1 } },
        { type: 'state', key: 'todo', value: ['old'] },
        { type: 'tool_result', callId: 'call_1', name: 'todo', output: 'ok' },
        assistant('a1'),
      ]);
      const t2 = log.turn('t2', [user('q2'), { type: 'state', key: 'todo', value: ['new'] }, assistant('a2')]);
      const t3 = log.turn('t3', [user('q3')], true);
      await store.append([log.create([...t1, ...t2, ...t3])]);

      // 7 messages; at most 3: t1 (4 messages) goes whole, t2 + t3 (3) stay.
      const r1 = await store.prune(ALL_TENANTS, { maxMessages: 3 });
      const planState = t1.find((e) => e.type === 'state' && e.key === 'plan')!;
      assert.ok(r1.entriesDropped >= t1.length - 1);
      assert.deepEqual(await store.load(log.key), [planState, ...t2, ...t3]);

      // Nothing more to drop at the same limit.
      await store.prune(ALL_TENANTS, { maxMessages: 3 });
      assert.deepEqual(await store.load(log.key), [planState, ...t2, ...t3]);

      // At 0, every closed turn goes, the open turn stays, the newest state of each key stays.
      await store.prune(ALL_TENANTS, { maxMessages: 0 });
      const todoState = t2.find((e) => e.type === 'state')!;
      assert.deepEqual(await store.load(log.key), [planState, todoState, ...t3]);
      const info = await store.getSession(log.key);
      assert.equal(info?.lastSeq, t3.at(-1)!.seq);
      assert.equal(info?.openTurn, 't3');

      // Appends continue after pruning, and later prunes count only what remains.
      const end = { type: 'turn_end', outcome: 'final', usage: { inputTokens: 0, outputTokens: 0 }, steps: 1 } as const;
      await store.append([log.batch([log.entry('t3', assistant('a3')), log.entry('t3', end)])]);
      await store.append([log.batch(log.turn('t4', [user('q4'), assistant('a4')]))]);
      await store.prune(ALL_TENANTS, { maxMessages: 2 });
      const texts = (await store.load(log.key)).flatMap((e) =>
        e.type === 'user' || e.type === 'assistant' ? [e.text] : [],
      );
      assert.deepEqual(texts, ['q4', 'a4']);
    });

    it('expires sessions idle longer than the TTL unless a turn is open', async (t) => {
      const store = await open(t);
      if (!store) return;
      const now = Date.now();
      const hour = 3_600_000;
      const old = new Log(uid('ttl-old'), now - 3 * hour);
      const oldOpen = new Log(uid('ttl-open'), now - 3 * hour);
      const fresh = new Log(uid('ttl-fresh'), now - hour / 2);
      await store.append([
        old.create(old.turn('t1', [user('a')])),
        oldOpen.create(oldOpen.turn('t1', [user('a')], true)),
        fresh.create(fresh.turn('t1', [user('a')])),
      ]);
      const result = await store.prune(ALL_TENANTS, { ttlMs: hour, now });
      assert.ok(result.sessionsExpired >= 1);
      assert.equal(await store.getSession(old.key), undefined);
      assert.deepEqual(await store.load(old.key), []);
      assert.ok(await store.getSession(oldOpen.key));
      assert.ok(await store.getSession(fresh.key));
      // An expired id starts a new log.
      const again = new Log(old.sessionId);
      await store.append([again.create(again.turn('t1', [user('b')]))]);
      assert.equal((await store.load(old.key)).length, 3);
    });

    it('keeps tenants apart: one id in two tenants is two sessions; every read names its tenant', async (t) => {
      const store = await open(t);
      if (!store) return;
      const [ta, tb] = [uid('ta'), uid('tb')];
      const id = uid('shared');
      const a = new Log(id, Date.now(), ta);
      const b = new Log(id, Date.now() + 5, tb);
      const aEntries = a.turn('t1', [user('secret of a')]);
      await store.append([a.create(aEntries, 'agent-a', { owner: 'a' })]);
      // The same id in tenant b is a new session, not a conflict with a's.
      const bEntries = b.turn('t1', [user('b one'), assistant('b two')]);
      await store.append([b.create(bEntries, 'agent-b')]);
      assert.deepEqual(await store.load(a.key), aEntries);
      assert.deepEqual(await store.load(b.key), bEntries);
      assert.equal((await store.getSession(a.key))?.tenant, ta);
      assert.deepEqual((await store.getSession(b.key))?.metadata, {});
      assert.equal(await store.getSession({ tenant: uid('tc'), id }), undefined);
      assert.deepEqual(await store.load({ tenant: uid('tc'), id }), []);

      // Appends check each (tenant, id) on its own: a's next seq does not move b.
      await store.append([a.batch(a.turn('t2', [user('more')]))]);
      assert.equal((await store.getSession(a.key))?.lastSeq, 6);
      assert.equal((await store.getSession(b.key))?.lastSeq, 4);
      const ghost = new Log(id, Date.now(), uid('td'));
      ghost.seq = 3;
      await assert.rejects(store.append([ghost.batch([ghost.entry('t9', user('x'))])]), (err) => {
        return isStoreError('SWIFTLET_ERR_SESSION_NOT_FOUND')(err);
      });

      // Lists: one tenant sees its own; ALL_TENANTS sees both, ordered by time, paged without loss.
      assert.deepEqual(
        (await store.list(ta)).sessions.map((s) => [s.tenant, s.id]),
        [[ta, id]],
      );
      assert.deepEqual((await store.list(tb, { agent: 'agent-a' })).sessions, []);
      const both: string[] = [];
      let cursor: string | undefined;
      for (let i = 0; i < 1000; i++) {
        const page = await store.list(ALL_TENANTS, { limit: 1, ...(cursor ? { cursor } : {}) });
        for (const s of page.sessions) if (s.id === id) both.push(s.tenant);
        cursor = page.nextCursor;
        if (!cursor || both.length === 2) break;
      }
      assert.deepEqual(both.sort(), [ta, tb].sort());
      assert.deepEqual(
        (await store.list(ALL_TENANTS, { agent: 'agent-b', limit: 1000 })).sessions.filter((s) => s.id === id),
        [await store.getSession(b.key)],
      );

      // Delete reaches one tenant only.
      assert.equal(await store.delete({ tenant: uid('tc'), id }), false);
      assert.equal(await store.delete(b.key), true);
      assert.equal(await store.getSession(b.key), undefined);
      assert.equal((await store.load(a.key)).length, 6);
      assert.ok(await store.getSession(a.key));
      await assert.rejects(
        store.append([{ tenant: 'no/slash', sessionId: id, entries: [] }]),
        isStoreError('SWIFTLET_ERR_STORE'),
      );
    });

    it('orders sessions of several tenants that share a time and an id by tenant, across pages', async (t) => {
      const store = await open(t);
      if (!store) return;
      const at = Date.now() + 86_400_000; // newer than every other case's sessions: they come first
      const id = uid('same');
      const tenants = [uid('t3'), uid('t1'), uid('t2')];
      await store.append(tenants.map((tn) => new Log(id, at, tn)).map((l) => l.create([l.entry('t1', user('x'))])));
      const seen: string[] = [];
      let cursor: string | undefined;
      for (let i = 0; i < 3; i++) {
        const page = await store.list(ALL_TENANTS, { limit: 1, ...(cursor ? { cursor } : {}) });
        seen.push(...page.sessions.map((s) => s.tenant));
        cursor = page.nextCursor;
      }
      assert.deepEqual(seen, [...tenants].sort());
    });

    it('moves a session with its whole log to another tenant, refusing a taken id or an open turn', async (t) => {
      const store = await open(t);
      if (!store) return;
      const [from, to] = [uid('from'), uid('to')];
      const log = new Log(uid('mv'), Date.now(), from);
      const entries = log.turn('t1', [user('hello'), assistant('hi')]);
      await store.append([log.create(entries, 'agent-a', { k: 1 })]);
      assert.equal(await store.move({ tenant: from, id: uid('none') }, to), false);
      assert.equal(await store.move(log.key, to), true);
      assert.equal(await store.getSession(log.key), undefined);
      assert.deepEqual(await store.load(log.key), []);
      const moved = { tenant: to, id: log.sessionId };
      assert.deepEqual(await store.load(moved), entries);
      assert.equal((await store.getSession(moved))?.tenant, to);
      assert.deepEqual((await store.getSession(moved))?.metadata, { k: 1 });
      // Appends continue in the new tenant.
      const next = new Log(log.sessionId, Date.now(), to);
      next.seq = log.seq;
      await store.append([next.batch(next.turn('t2', [user('again')]))]);
      assert.equal((await store.getSession(moved))?.lastSeq, 7);

      // A taken id in the target, and a turn still open, are conflicts; nothing moves.
      const twin = new Log(log.sessionId, Date.now(), from);
      await store.append([twin.create(twin.turn('t1', [user('x')], true))]);
      await assert.rejects(store.move(twin.key, to), isStoreError('SWIFTLET_ERR_STORE', /already has a session/));
      await assert.rejects(store.move(twin.key, uid('free')), isStoreError('SWIFTLET_ERR_STORE', /turn is open/));
      assert.equal((await store.getSession(twin.key))?.openTurn, 't1');
      await assert.rejects(store.move(twin.key, 'not a tenant'), isStoreError('SWIFTLET_ERR_STORE'));
    });

    it("reads a session's lastSeq alone; undefined for no such session or another tenant", async (t) => {
      const store = await open(t);
      if (!store) return;
      const log = new Log(uid('seq'));
      assert.equal(await store.lastSeq(log.key), undefined);
      await store.append([log.create(log.turn('t1', [user('a'), assistant('b')]))]);
      assert.equal(await store.lastSeq(log.key), 4);
      assert.equal(await store.lastSeq({ tenant: 'other', id: log.sessionId }), undefined);
    });

    it('records this process as alive once it beats', async (t) => {
      const store = await open(t);
      if (!store) return;
      assert.match(store.instanceId, /^inst_/);
      await store.beat();
      await store.beat();
      assert.ok((await store.liveInstances(60_000)).has(store.instanceId));
    });

    it('prunes and lists open turns in one tenant or all', async (t) => {
      const store = await open(t);
      if (!store) return;
      const now = Date.now();
      const hour = 3_600_000;
      const [ta, tb] = [uid('pa'), uid('pb')];
      const id = uid('pr');
      const a = new Log(id, now - 3 * hour, ta);
      const b = new Log(id, now - 3 * hour, tb);
      const aOpen = new Log(uid('po'), now, ta);
      await store.append([
        a.create(a.turn('t1', [user('a')])),
        b.create(b.turn('t1', [user('b')])),
        aOpen.create(aOpen.turn('t1', [user('o')], true)),
      ]);
      const r = await store.prune(tb, { ttlMs: hour, now });
      assert.equal(r.sessionsExpired, 1);
      assert.equal(await store.getSession(b.key), undefined);
      assert.ok(await store.getSession(a.key), "another tenant's sessions are not touched");
      assert.deepEqual(await store.openTurns(tb), []);
      assert.deepEqual(
        (await store.openTurns(ta)).map((o) => [o.tenant, o.sessionId, o.turnId]),
        [[ta, aOpen.sessionId, 't1']],
      );
      assert.ok((await store.openTurns(ALL_TENANTS)).some((o) => o.tenant === ta && o.sessionId === aOpen.sessionId));
    });

    it('round-trips metadata, large entries and unicode', async (t) => {
      const store = await open(t);
      if (!store) return;
      const log = new Log(uid('data'));
      const metadata = { user: 'ü', tags: ['a', 'b'], nested: { n: 1.5, yes: true, none: null }, empty: {} };
      const big = 'x'.repeat(1_500_000) + '🙂';
      const text = 'héllo wörld — 你好 — 🧪🚀 — \u0000nul — "quotes" \\ back\nslash\ttab — \u202Ertl';
      const entries = log.turn('t1', [
        user(text),
        {
          type: 'assistant',
          text: '',
          toolCalls: [{ id: 'c1', name: 'fetch', arguments: '{"u":"ö"}' }],
          providerState: { r: [1, 'é'] },
        },
        { type: 'tool_result', callId: 'c1', name: 'fetch', output: big, isError: false },
        { type: 'state', key: 'todo', value: [{ id: 1, text: '写', status: 'pending' }] },
      ]);
      await store.append([log.create(entries, 'agent-ü', metadata)]);
      assert.deepEqual((await store.getSession(log.key))?.metadata, metadata);
      assert.equal((await store.getSession(log.key))?.agent, 'agent-ü');
      // The title drops control characters (NUL, the bidirectional override), keeps the rest.
      const title = 'héllo wörld — 你好 — 🧪🚀 — nul — "quotes" \\ back slash tab — rtl';
      assert.equal((await store.getSession(log.key))?.title, title);
      const loaded = await store.load(log.key);
      assert.deepEqual(loaded, entries);
      assert.equal(
        loaded.every((e) => e.v === ENTRY_VERSION),
        true,
      );
    });

    it('is idempotent to init, and refuses work once closed', async (t) => {
      const store = await makeStore(t);
      if (!store) return;
      await store.init();
      await store.init();
      await store.close();
      assert.equal(await store.ping(), false);
      await assert.rejects(store.getSession(local('x')), isStoreError('SWIFTLET_ERR_STORE'));
    });
  });
}
