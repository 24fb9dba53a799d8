import { BUS_DEFAULTS, LocalBus, type BroadcastRecipient } from '../bus/index.js';
import type { BusConfig } from '../config/index.js';
import type { SessionStore } from '../store/index.js';

/**
 * The task bus the config describes, on `store` (not started). With `driver: nats` it connects first; NATS's client
 * is loaded only then. Every process on a store builds its bus here, so a CLI beside a server offers its tasks the
 * way the server does.
 */
export async function openBus(
  config: BusConfig,
  store: SessionStore,
  extra: { recipients?: readonly BroadcastRecipient[]; onError?: (err: unknown) => void } = {},
): Promise<LocalBus> {
  const onError = extra.onError ?? (() => undefined);
  const transport =
    config.driver === 'nats'
      ? await (
          await import('../bus/nats/index.js')
        ).NatsTransport.connect({
          url: config.url!,
          stream: config.stream ?? BUS_DEFAULTS.natsStream,
          instanceId: store.instanceId,
          tasks: store.tasks,
          onError,
        })
      : undefined;
  return new LocalBus({
    store: store.tasks,
    instanceId: store.instanceId,
    leaseMs: config.leaseMs,
    maxAttempts: config.maxAttempts,
    maxQueued: config.maxQueued,
    sweepMs: config.sweepMs,
    onError,
    ...(config.republishMs === undefined ? {} : { republishMs: config.republishMs }),
    ...(extra.recipients ? { recipients: extra.recipients } : {}),
    ...(transport ? { transport } : {}),
  });
}
