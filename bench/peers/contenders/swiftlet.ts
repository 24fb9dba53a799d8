// Swiftlet: the runtime in-process, built from config as `swiftlet run` builds it (the same construction as
// SESSION_CONTENDERS.swiftlet in bench/session-contender.ts). Imported on its own so that its start-up figure does not
// carry the floor baseline's undici and better-sqlite3.
import { parseConfig } from '../../../src/config/index.js';
import { createRuntime, type Runtime } from '../../../src/runtime/index.js';
import { createSwiftletRuntime, swiftletConfigYaml } from '../../contenders/swiftlet.js';
import { FINAL_TEXT } from '../../workload.js';
import type { CreateContender, SessionContenderOptions } from './types.js';

/** The bench's Swiftlet config; with `connections`, its provider pool (`maxConnections`, default 64) set to that. */
async function runtimeFor(o: SessionContenderOptions): Promise<Runtime> {
  if (o.connections === undefined) return createSwiftletRuntime(o);
  const yaml = swiftletConfigYaml(o);
  const anchor = '    retries: { max: 0 }\n';
  if (!yaml.includes(anchor)) throw new Error('cannot set maxConnections: the bench config no longer has its provider retries line');
  const withPool = yaml.replace(anchor, `${anchor}    maxConnections: ${o.connections}\n`);
  return createRuntime({ config: parseConfig(withPool, { env: {} }).config });
}

export const create: CreateContender = async (o) => {
  const runtime = await runtimeFor(o);
  return {
    name: o.store === 'memory' ? 'swiftlet (memory store)' : 'swiftlet',
    async turn(sessionId, input) {
      const end = await runtime.run({ sessionId, input }).result;
      return end.outcome === 'final' && end.text === FINAL_TEXT;
    },
    close: () => runtime.close(),
  };
};
