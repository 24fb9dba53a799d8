// Swiftlet: the runtime in-process, built from config as `swiftlet run` builds it (the same construction as
// SESSION_CONTENDERS.swiftlet in bench/session-contender.ts). Imported on its own so that its start-up figure does not
// carry the floor baseline's undici and better-sqlite3. With `connections`, the bench config raises the provider pool
// (maxConnections) and limits.maxConcurrentTurns to at least that many.
import { createSwiftletRuntime } from '../../contenders/swiftlet.js';
import { FINAL_TEXT } from '../../workload.js';
import type { CreateContender } from './types.js';

export const create: CreateContender = async (o) => {
  const runtime = await createSwiftletRuntime(o);
  return {
    name: o.store === 'memory' ? 'swiftlet (memory store)' : 'swiftlet',
    async turn(sessionId, input) {
      const end = await runtime.run({ sessionId, input }).result;
      return end.outcome === 'final' && end.text === FINAL_TEXT;
    },
    close: () => runtime.close(),
  };
};
