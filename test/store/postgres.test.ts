import assert from 'node:assert/strict';
import { after, describe, it, type TestContext } from 'node:test';
import { SwiftletError } from '../../src/core/index.js';
import { PostgresStore } from '../../src/store/index.js';
import { MIGRATIONS } from '../../src/store/postgres/migrations.js';
import { requirePostgres } from '../helpers/services.js';
import { Log, storeContract, uid } from './contract.js';
import { taskStoreContract } from './task-contract.js';

// One schema for this run, dropped at the end.
const schema = `swiftlet_test_${uid('s').slice(2)}`;
let url: string | undefined;

async function make(t: TestContext, s = schema): Promise<PostgresStore | null> {
  const found = await requirePostgres(t);
  if (!found) return null;
  url = found;
  const store = new PostgresStore({ url, schema: s, maxConnections: 4 });
  await store.init();
  return store;
}

async function sql(text: string): Promise<void> {
  if (!url) return;
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

after(() => sql(`DROP SCHEMA IF EXISTS ${schema} CASCADE`));

storeContract('postgres', (t) => make(t));
taskStoreContract('postgres', (t) => make(t));

describe('PostgresStore', () => {
  it('migrates once when instances start together, and records the version', async (t) => {
    const s = `${schema}_m`;
    t.after(() => sql(`DROP SCHEMA IF EXISTS ${s} CASCADE`));
    const stores = await Promise.all([make(t, s), make(t, s), make(t, s)]);
    if (stores.some((x) => !x)) return;
    for (const store of stores) t.after(() => store!.close());
    const log = new Log(uid('m'));
    await stores[0]!.append([log.create(log.turn('t1', [{ type: 'user', text: 'a' }]))]);
    assert.equal((await stores[2]!.getSession(log.key))?.lastSeq, 3);
  });

  it('refuses a schema newer than it knows', async (t) => {
    const s = `${schema}_n`;
    t.after(() => sql(`DROP SCHEMA IF EXISTS ${s} CASCADE`));
    const store = await make(t, s);
    if (!store) return;
    await store.close();
    await sql(`INSERT INTO ${s}.swiftlet_migrations (version) VALUES (${MIGRATIONS.length + 1})`);
    const again = new PostgresStore({ url: url!, schema: s });
    t.after(() => again.close());
    await assert.rejects(
      again.init(),
      (err) => SwiftletError.isInstance(err) && err.code === 'SWIFTLET_ERR_STORE_SCHEMA',
    );
  });

  it('lets only one of two concurrent writers append to a session', async (t) => {
    const a = await make(t);
    const b = await make(t);
    if (!a || !b) return;
    t.after(() => a.close());
    t.after(() => b.close());
    const log = new Log(uid('race'));
    await a.append([log.create(log.turn('t1', [{ type: 'user', text: 'a' }]))]);
    const seq = log.seq;
    const one = log.batch(log.turn('t2', [{ type: 'user', text: 'from a' }]));
    log.seq = seq;
    const two = log.batch(log.turn('t3', [{ type: 'user', text: 'from b' }]));
    const results = await Promise.allSettled([a.append([one]), b.append([two])]);
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
    const failed = results.find((r) => r.status === 'rejected');
    assert.ok(failed && SwiftletError.isInstance(failed.reason));
    assert.match(failed.reason.message, /written concurrently/);
    assert.equal(failed.reason.retryable, false);
    assert.equal((await a.load(log.key)).length, 6);
  });

  it('reports an unreachable server as a retryable store error', async () => {
    const store = new PostgresStore({ url: 'postgres://postgres@127.0.0.1:1/test' });
    await assert.rejects(
      store.init(),
      (err) => SwiftletError.isInstance(err) && err.code === 'SWIFTLET_ERR_STORE' && err.retryable,
    );
  });

  it('rejects a schema name it would have to quote', () => {
    assert.throws(
      () => new PostgresStore({ url: 'postgres://x', schema: 'Bad-Name' }),
      (err) => SwiftletError.isInstance(err) && err.code === 'SWIFTLET_ERR_CONFIG_INVALID',
    );
  });
});
