import { MemoryStore } from './memory.js';
import { PostgresStore, type PostgresStoreOptions } from './postgres/store.js';
import { SqliteStore, type SqliteStoreOptions } from './sqlite/store.js';
import type { SessionStore } from './types.js';

export type * from './types.js';
export type * from './tasks.js';
export { MemoryStore } from './memory.js';
export { sessionTitle } from './plan.js';
export { BEAT_INTERVAL_MS, STALE_AFTER_MS } from './instances.js';
export { SqliteStore, type SqliteStoreOptions } from './sqlite/store.js';
export { PostgresStore, type PostgresStoreOptions } from './postgres/store.js';
export {
  GroupCommitWriter,
  commitChannel,
  type GroupCommitStats,
  type GroupCommitWriterOptions,
  type StoreCommitMessage,
} from './writer.js';

export type OpenStoreOptions =
  { driver: 'memory' } | ({ driver: 'sqlite' } & SqliteStoreOptions) | ({ driver: 'postgres' } & PostgresStoreOptions);

/** Builds the configured store and opens it (migrations applied). Drivers load only here, and only the one used. */
export async function openStore(options: OpenStoreOptions): Promise<SessionStore> {
  const store = create(options);
  await store.init();
  return store;
}

function create(options: OpenStoreOptions): SessionStore {
  switch (options.driver) {
    case 'memory':
      return new MemoryStore();
    case 'sqlite': {
      const { driver: _, ...rest } = options;
      return new SqliteStore(rest);
    }
    case 'postgres': {
      const { driver: _, ...rest } = options;
      return new PostgresStore(rest);
    }
  }
}
