import type { LoadedConfig, SwiftletConfig } from '../config/index.js';
import { loadConfig } from '../config/index.js';
import { GroupCommitWriter, openStore, type SessionStore } from '../store/index.js';
import type { Tool } from '../tools/index.js';
import { BUS_DEFAULTS, LocalBus } from '../bus/index.js';
import { buildAgents, type BusRef } from './build.js';
import { Runtime } from './runtime.js';

export { Runtime, type RunRequest, type TurnRun, type AgentInfo } from './runtime.js';
export { taskPrompt } from './task-agents.js';
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
    const b = config.bus;
    const onError = options.onBusError ?? (() => undefined);
    // NATS's client loads only when the config asks for it.
    const transport =
      b.driver === 'nats'
        ? await (
            await import('../bus/nats/index.js')
          ).NatsTransport.connect({
            url: b.url!,
            stream: b.stream ?? BUS_DEFAULTS.natsStream,
            instanceId: store.instanceId,
            tasks: store.tasks,
            onError,
          })
        : undefined;
    const bus = new LocalBus({
      store: store.tasks,
      instanceId: store.instanceId,
      leaseMs: b.leaseMs,
      maxAttempts: b.maxAttempts,
      maxQueued: b.maxQueued,
      sweepMs: b.sweepMs,
      ...(b.republishMs === undefined ? {} : { republishMs: b.republishMs }),
      onError,
      ...(transport ? { transport } : {}),
    });
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
