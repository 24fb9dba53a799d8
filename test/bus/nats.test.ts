// The TaskBus contract on the NATS transport: the local bus's records and claims, with offers and changes travelling
// through NATS JetStream. A stream per case, so that no case sees another's offers.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { newId } from '../../src/core/index.js';
import { SqliteStore, type SessionStore } from '../../src/store/index.js';
import { requireNats } from '../helpers/services.js';
import { busContract } from './contract.js';
import { natsBus } from './nats-helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'swiftlet-nats-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const streams = new Set<string>();
let natsUrl: string | undefined;
after(async () => {
  if (!natsUrl || streams.size === 0) return;
  const { connect } = await import('@nats-io/transport-node');
  const { jetstreamManager } = await import('@nats-io/jetstream');
  const nc = await connect({ servers: natsUrl });
  const jsm = await jetstreamManager(nc);
  for (const s of streams) await jsm.streams.delete(s).catch(() => undefined);
  await nc.close();
});

busContract('nats (records on SQLite)', async (t, options) => {
  const url = await requireNats(t);
  if (!url) return null;
  natsUrl = url;
  const stream = `SWIFTLET_TEST_${newId('ses').slice(4).toUpperCase()}`;
  streams.add(stream);
  const path = join(dir, `${newId('ses')}.db`);
  const open = async (): Promise<SessionStore> => {
    const store = new SqliteStore({ path });
    await store.init();
    return store;
  };
  const bus = await natsBus(t, await open(), url, stream, options);
  return { bus, second: async () => natsBus(t, await open(), url, stream, options) };
});
