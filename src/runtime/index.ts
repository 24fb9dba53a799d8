import type { LoadedConfig, SwiftletConfig } from '../config/index.js';
import { loadConfig } from '../config/index.js';
import { GroupCommitWriter, openStore, type SessionStore } from '../store/index.js';
import type { Tool } from '../tools/index.js';
import { buildAgents, type BusRef } from './build.js';
import { openBus } from './bus.js';
import { Runtime } from './runtime.js';

export { Runtime, type RunRequest, type TurnRun, type AgentInfo } from './runtime.js';
export { taskPrompt } from './task-agents.js';
export { openBus } from './bus.js';
export { recoverOpenTurns, closingEntries, RECOVERY_MESSAGE } from './recovery.js';

export interface RuntimeOptions {
  /** A loaded config, a config object, or nothing to load it the usual way (file, then defaults). */
  config?: LoadedConfig | SwiftletConfig;
  /** Config file path, when `config` is not given. */
  configPath?: string;
  /** Use this store instead of the one the config names (the runtime will not close it). */
  store?: SessionStore;
  /**
   * Whether the configured agents take tasks from the bus (default true). The CLI's one-off commands (`run`, `chat`)
   * pass false: a short-lived process beside a server must not claim the server's tasks. Such a runtime can still
   * publish tasks (the delegate tool), which the server runs.
   */
  consumeTasks?: boolean;
  /** Failures of the task bus that nobody waits for (a write behind, a sweep, the NATS link); default: ignored. */
  onBusError?: (err: unknown) => void;
  /** Extra tools per agent name (library users' `defineTool` tools). */
  tools?: Readonly<Record<string, readonly Tool[]>>;
}

/**
 * Builds a runtime from config: opens the store (migrations applied), builds every agent once, recovers turns cut
 * short by a crash. `runtime.run({ agent, sessionId, input, signal })` then runs turns.
 */
export async function createRuntime(options: RuntimeOptions = {}): Promise<Runtime> {
  const config = await resolveConfig(options);
  const busRef: BusRef = {};
  const built = await buildAgents(config, options.tools ?? {}, busRef);
  let store = options.store;
  try {
    if (!store) {
      const s = config.storage;
      store = await openStore(
        s.driver === 'postgres'
          ? {
              driver: 'postgres',
              url: s.url!,
              ...(s.schema === undefined ? {} : { schema: s.schema }),
              maxConnections: s.maxConnections,
            }
          : s.driver === 'sqlite'
            ? { driver: 'sqlite', path: s.path, synchronous: s.synchronous }
            : { driver: 'memory' },
      );
    } else await store.init();
    const writer = new GroupCommitWriter(store, {
      flushIntervalMs: config.storage.flushIntervalMs,
    });
    const bus = await openBus(config.bus, store, options.onBusError ? { onError: options.onBusError } : {});
    busRef.bus = bus;
    const runtime = new Runtime({
      config,
      store,
      writer,
      bus,
      ...built,
      ownsStore: options.store === undefined,
      consumeTasks: options.consumeTasks ?? true,
    });
    await runtime.start();
    return runtime;
  } catch (err) {
    if (store && !options.store) await store.close().catch(() => undefined);
    await Promise.allSettled(built.clients.map((c) => c.close()));
    await built.mock?.close();
    throw err;
  }
}

async function resolveConfig(options: RuntimeOptions): Promise<SwiftletConfig> {
  const c = options.config;
  if (c && 'config' in c && 'warnings' in c) return c.config;
  if (c) return c as SwiftletConfig;
  const loaded = await loadConfig(options.configPath === undefined ? {} : { path: options.configPath });
  return loaded.config;
}
