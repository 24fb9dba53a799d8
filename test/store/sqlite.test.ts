import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type BetterSqlite3 from 'better-sqlite3';
import { SwiftletError } from '../../src/core/index.js';
import { GroupCommitWriter, SqliteStore, openStore } from '../../src/store/index.js';
import { MIGRATIONS } from '../../src/store/sqlite/migrations.js';
import { encodeEntry } from '../../src/store/plan.js';
import { Log, storeContract, uid } from './contract.js';
import { taskStoreContract } from './task-contract.js';

const Database = createRequire(import.meta.url)('better-sqlite3') as typeof BetterSqlite3;
const dir = mkdtempSync(join(tmpdir(), 'swiftlet-sqlite-'));
after(() => rmSync(dir, { recursive: true, force: true }));

// A fresh database per case, in a directory that does not exist yet (the store creates it).
storeContract('sqlite', async () => {
  const store = new SqliteStore({ path: join(dir, uid('case'), 'sessions.db') });
  await store.init();
  return store;
});

taskStoreContract('sqlite', async () => {
  const store = new SqliteStore({ path: join(dir, uid('case'), 'sessions.db') });
  await store.init();
  return store;
});

describe('SqliteStore', () => {
  it('runs in WAL mode with a versioned schema, reading a session tail as one index range', async (t) => {
    const path = join(dir, 'pragmas.db');
    const store = await openStore({ driver: 'sqlite', path, synchronous: 'full' });
    t.after(() => store.close());
    const db = new Database(path, { readonly: true });
    t.after(() => db.close());
    assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
    assert.equal(db.pragma('user_version', { simple: true }), MIGRATIONS.length);
    const plan = db
      .prepare(
        "EXPLAIN QUERY PLAN SELECT * FROM entries WHERE tenant = 'local' AND session_id = 'x' AND seq > 3 ORDER BY seq DESC LIMIT 5",
      )
      .all() as { detail: string }[];
    assert.match(
      plan.map((p) => p.detail).join('\n'),
      /USING (PRIMARY KEY|INDEX sqlite_autoindex_entries_1) \(tenant=\? AND session_id=\? AND seq>\?\)/,
    );
  });

  it('refuses a database with a newer schema than it knows', async (t) => {
    const path = join(dir, 'newer.db');
    const store = await openStore({ driver: 'sqlite', path });
    await store.close();
    const db = new Database(path);
    db.pragma(`user_version = ${MIGRATIONS.length + 1}`);
    db.close();
    const again = new SqliteStore({ path });
    t.after(() => again.close());
    await assert.rejects(
      again.init(),
      (err) => SwiftletError.isInstance(err) && err.code === 'SWIFTLET_ERR_STORE_SCHEMA',
    );
  });

  it('keeps a consistent file through group commits, close and reopen', async (t) => {
    const path = join(dir, 'integrity.db');
    const store = await openStore({ driver: 'sqlite', path });
    const writer = new GroupCommitWriter(store, { flushIntervalMs: 1000 });
    const logs = Array.from({ length: 20 }, () => new Log(uid('int')));
    for (const log of logs) writer.enqueue(log.create(log.turn('t1', [{ type: 'user', text: 'hi' }])));
    await writer.commit();
    for (const log of logs) writer.enqueue(log.batch(log.turn('t2', [{ type: 'assistant', text: 'yo' }])));
    await writer.close();
    await store.close();

    const reopened = await openStore({ driver: 'sqlite', path });
    t.after(() => reopened.close());
    for (const log of logs) assert.equal((await reopened.load(log.key)).length, 6);
    const db = new Database(path, { readonly: true });
    t.after(() => db.close());
    assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
  });

  it('stores each entry as its columns plus the versioned payload encodeEntry makes', async (t) => {
    const path = join(dir, 'payload.db');
    const store = await openStore({ driver: 'sqlite', path });
    t.after(() => store.close());
    const log = new Log(uid('payload'));
    const entries = log.turn('t1', [
      { type: 'user', text: 'héllo "quoted"\n' },
      {
        type: 'assistant',
        text: '',
        toolCalls: [{ id: 'c1', name: 'todo', arguments: '{"a":1}' }],
        providerState: { x: [1] },
      },
      { type: 'tool_result', callId: 'c1', name: 'todo', output: 'no', isError: true },
      { type: 'state', key: 'todo', value: { items: [] } },
    ]);
    await store.append([log.create(entries)]);
    const db = new Database(path, { readonly: true });
    t.after(() => db.close());
    const rows = db
      .prepare('SELECT seq, turn_id, type, at, data FROM entries WHERE tenant = ? AND session_id = ? ORDER BY seq')
      .all(log.tenant, log.sessionId) as { seq: number; turn_id: string; type: string; at: number; data: string }[];
    assert.deepEqual(
      rows,
      entries.map((e) => {
        const c = encodeEntry(e);
        return { seq: c.seq, turn_id: c.turnId, type: c.type, at: c.at, data: c.data };
      }),
    );
  });
});
