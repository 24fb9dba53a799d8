// Stores written before tenants existed (frozen fixtures in test/fixtures/store-v1) open with today's store: every
// session is kept, owned by tenant `local`, its log intact, its open turn still listed for recovery.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { ALL_TENANTS, LOCAL_TENANT, type SessionKey } from '../../src/core/index.js';
import { PostgresStore, SqliteStore, type SessionStore } from '../../src/store/index.js';
import { MIGRATIONS as SQLITE_MIGRATIONS } from '../../src/store/sqlite/migrations.js';
import { MIGRATIONS as PG_MIGRATIONS } from '../../src/store/postgres/migrations.js';
import { tempDir } from '../helpers/runtime.js';
import { requirePostgres } from '../helpers/services.js';
import { writeSqliteV1 } from '../helpers/store-v1.js';
import { uid } from './contract.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/store-v1/', import.meta.url));
const ONE: SessionKey = { tenant: LOCAL_TENANT, id: 'ses_fixture_one' };
const CHOSEN: SessionKey = { tenant: LOCAL_TENANT, id: 'user-42' };

/** What every store migrated from the fixtures must hold. */
async function checkMigrated(store: SessionStore): Promise<void> {
  const page = await store.list(ALL_TENANTS);
  assert.deepEqual(
    page.sessions.map((s) => [s.tenant, s.id]),
    [
      [LOCAL_TENANT, 'ses_fixture_one'],
      [LOCAL_TENANT, 'user-42'],
    ],
  );
  assert.deepEqual(
    (await store.list(LOCAL_TENANT)).sessions.map((s) => s.id),
    ['ses_fixture_one', 'user-42'],
  );
  const one = await store.getSession(ONE);
  assert.deepEqual(one, {
    tenant: LOCAL_TENANT,
    id: 'ses_fixture_one',
    agent: 'assistant',
    createdAt: Date.UTC(2026, 11, 2, 12, 0, 0),
    updatedAt: Date.UTC(2026, 11, 2, 12, 0, 11),
    lastSeq: 11,
    metadata: { user: 'u1' },
  });
  const entries = await store.load(ONE);
  assert.deepEqual(
    entries.map((e) => [e.seq, e.type]),
    [
      [1, 'turn_start'],
      [2, 'user'],
      [3, 'assistant'],
      [4, 'turn_end'],
      [5, 'turn_start'],
      [6, 'user'],
      [7, 'assistant'],
      [8, 'state'],
      [9, 'tool_result'],
      [10, 'assistant'],
      [11, 'turn_end'],
    ],
  );
  assert.deepEqual(entries[1], {
    type: 'user',
    text: 'my card is 4242',
    v: 1,
    turnId: 'turn_00000000000000000000000001',
    at: Date.UTC(2026, 11, 2, 12, 0, 2),
    seq: 2,
  });
  const call = entries[6];
  assert.ok(call?.type === 'assistant' && call.toolCalls?.[0]?.name === 'todo');
  assert.equal((await store.getSession(CHOSEN))?.openTurn, 'turn_00000000000000000000000004');
  assert.deepEqual(await store.openTurns(LOCAL_TENANT), [
    { tenant: LOCAL_TENANT, sessionId: 'user-42', turnId: 'turn_00000000000000000000000004' },
  ]);
  // Another tenant sees none of it, and the same ids are free there.
  assert.equal(await store.getSession({ tenant: 'other', id: 'user-42' }), undefined);
  assert.deepEqual((await store.list('other')).sessions, []);
  // The migrated store takes new writes in both the old tenant and a new one.
  await store.append([
    {
      tenant: 'other',
      sessionId: 'user-42',
      create: { agent: 'assistant', metadata: {}, createdAt: Date.now() },
      entries: [
        { type: 'turn_start', agent: 'assistant', v: 1, turnId: 'turn_x', at: Date.now(), seq: 1 },
        { type: 'user', text: 'a new session', v: 1, turnId: 'turn_x', at: Date.now(), seq: 2 },
      ],
    },
    {
      tenant: LOCAL_TENANT,
      sessionId: 'ses_fixture_one',
      entries: [
        { type: 'turn_start', agent: 'assistant', v: 1, turnId: 'turn_y', at: Date.now(), seq: 12 },
        { type: 'user', text: 'not the first message', v: 1, turnId: 'turn_y', at: Date.now(), seq: 13 },
      ],
    },
  ]);
  assert.equal((await store.getSession(ONE))?.lastSeq, 13);
  assert.equal((await store.getSession({ tenant: 'other', id: 'user-42' }))?.lastSeq, 2);
  // Titles: a session stored before them has none, and a later message does not become one; a new session has one.
  assert.equal((await store.getSession(ONE))?.title, undefined);
  assert.equal((await store.getSession({ tenant: 'other', id: 'user-42' }))?.title, 'a new session');
  assert.equal((await store.getSession(CHOSEN))?.lastSeq, 6);
}

describe('migration of a store written before tenants', () => {
  it('SQLite: schema 1 → today; every session belongs to local', async (t) => {
    const path = join(tempDir(t), 'v1.db');
    await writeSqliteV1(path);
    const store = new SqliteStore({ path });
    t.after(() => store.close());
    await store.init();
    await checkMigrated(store);
    await store.close();
    // Opening again applies nothing more.
    const again = new SqliteStore({ path });
    await again.init();
    assert.equal((await again.list(ALL_TENANTS)).sessions.length, 3);
    await again.close();
    const { default: Database } = await import('better-sqlite3');
    const db = new Database(path, { readonly: true });
    t.after(() => db.close());
    assert.equal(db.pragma('user_version', { simple: true }), SQLITE_MIGRATIONS.length);
    assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
  });

  it('PostgreSQL: schema 1 → today; every session belongs to local', async (t) => {
    const url = await requirePostgres(t);
    if (!url) return;
    const schema = `swiftlet_mig_${uid('v').slice(2)}`;
    const { default: pg } = await import('pg');
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    t.after(async () => {
      await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await client.end();
    });
    const dump = readFileSync(join(FIXTURES, 'postgres-v1.sql'), 'utf8').replaceAll('swiftlet_fixture_v1', schema);
    await client.query(dump);
    await client.query('SET search_path = public');
    const store = new PostgresStore({ url, schema, maxConnections: 2 });
    t.after(() => store.close());
    await store.init();
    await checkMigrated(store);
    const { rows } = await client.query<{ v: number }>(`SELECT max(version) AS v FROM ${schema}.swiftlet_migrations`);
    assert.equal(rows[0]?.v, PG_MIGRATIONS.length);
  });
});
