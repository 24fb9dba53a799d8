import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, type TestContext } from 'node:test';
import { LocalBus } from '../../src/bus/index.js';
import { newId } from '../../src/core/index.js';
import { MemoryStore, PostgresStore, SqliteStore, type SessionStore } from '../../src/store/index.js';
import { requirePostgres } from '../helpers/services.js';
import { busContract, type BusOptions } from './contract.js';

const dir = mkdtempSync(join(tmpdir(), 'swiftlet-bus-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A started local bus on `store`, closed (with the store) when `t` ends. */
export async function localBus(t: TestContext, store: SessionStore, options: BusOptions = {}): Promise<LocalBus> {
  const bus = new LocalBus({ store: store.tasks, instanceId: store.instanceId, sweepMs: 200, ...options });
  t.after(async () => {
    await bus.close();
    await store.close();
  });
  await bus.start();
  return bus;
}

busContract('local on SQLite', async (t, options) => {
  const path = join(dir, `${newId('ses')}.db`);
  const open = async (): Promise<SessionStore> => {
    const store = new SqliteStore({ path });
    await store.init();
    return store;
  };
  const bus = await localBus(t, await open(), options);
  return { bus, second: async () => localBus(t, await open(), options) };
});

busContract('local in memory', async (t, options) => {
  const store = new MemoryStore();
  await store.init();
  const bus = await localBus(t, store, options);
  // A second bus on the same records, as another process would be: its own owner id.
  const twin = { ...store, tasks: store.tasks, instanceId: newId('inst'), close: async () => undefined };
  return { bus, second: async () => localBus(t, twin as unknown as SessionStore, options) };
});

// A schema per case: another case's tasks in the same schema would be swept into this case's bus.
const schemas: string[] = [];
let pgUrl: string | undefined;
after(async () => {
  if (!pgUrl || schemas.length === 0) return;
  const { default: pg } = await import('pg');
  const c = new pg.Client({ connectionString: pgUrl });
  await c.connect();
  for (const s of schemas) await c.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
  await c.end();
});

busContract('local on PostgreSQL', async (t, options) => {
  const url = await requirePostgres(t);
  if (!url) return null;
  pgUrl = url;
  const schema = `swiftlet_bus_${newId('ses').slice(4).toLowerCase()}`;
  schemas.push(schema);
  const open = async (): Promise<SessionStore> => {
    const store = new PostgresStore({ url, schema, maxConnections: 4 });
    await store.init();
    return store;
  };
  const bus = await localBus(t, await open(), options);
  return { bus, second: async () => localBus(t, await open(), options) };
});
