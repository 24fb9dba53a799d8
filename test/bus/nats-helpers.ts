import type { TestContext } from 'node:test';
import { LocalBus } from '../../src/bus/index.js';
import { NatsTransport } from '../../src/bus/nats/index.js';
import type { SessionStore } from '../../src/store/index.js';
import type { BusOptions } from './contract.js';

/** A started bus on `store` with a NATS transport on `stream`, closed (with the store) when `t` ends. */
export async function natsBus(
  t: TestContext,
  store: SessionStore,
  url: string,
  stream: string,
  options: BusOptions & { republishMs?: number } = {},
): Promise<LocalBus> {
  const transport = await NatsTransport.connect({
    url,
    stream,
    instanceId: store.instanceId,
    tasks: store.tasks,
    onError: () => undefined,
  });
  const bus = new LocalBus({ store: store.tasks, instanceId: store.instanceId, sweepMs: 200, transport, ...options });
  t.after(async () => {
    await bus.close();
    await store.close();
  });
  await bus.start();
  return bus;
}
