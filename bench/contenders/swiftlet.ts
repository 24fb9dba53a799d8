// Swiftlet in-process: the runtime built from config exactly as `swiftlet run` builds it, one `runtime.run()` per turn.
import { join } from 'node:path';
import { parseConfig } from '../../src/config/index.js';
import { createRuntime, type Runtime } from '../../src/runtime/index.js';
import type { Contender, ContenderOptions } from '../contender.js';
import { FINAL_TEXT, HISTORY_WINDOW, INSTRUCTIONS, MAX_STEPS, MODEL_IDS, sessionFor, turnInput } from '../workload.js';

export interface SwiftletBenchOptions extends Omit<ContenderOptions, 'sessions'> {
  /** 0 evicts every session after its turn (memory per stored session). */
  hotCacheMb?: number;
  /**
   * Sessions in flight at once: the provider's connection pool (default 64) and limits.maxConcurrentTurns (default
   * 256) are raised to at least this many.
   */
  connections?: number;
}

/** The config as YAML (JSON is valid YAML flow style), parsed by the same code as a swiftlet.yaml file. */
export function swiftletConfigYaml(o: SwiftletBenchOptions): string {
  const storage = {
    driver: o.store,
    ...(o.store === 'sqlite' ? { path: join(o.dir, 'swiftlet.db') } : {}),
    durability: o.durability,
    ...(o.hotCacheMb === undefined ? {} : { hotCacheMb: o.hotCacheMb }),
  };
  const pool = o.connections === undefined ? '' : `\n    maxConnections: ${Math.max(64, o.connections)}`;
  const limits = o.connections === undefined ? '' : `limits: { maxConcurrentTurns: ${Math.max(256, o.connections)} }\n`;
  return `
providers:
  mock:
    type: openai
    baseUrl: ${o.mockUrl}/v1
    apiKey: bench
    retries: { max: 0 }${pool}
agents:
  assistant:
    model: mock/${MODEL_IDS.swiftlet}
    instructions: ${JSON.stringify(INSTRUCTIONS)}
    tools: [current_time]
    historyWindow: ${HISTORY_WINDOW}
    maxSteps: ${MAX_STEPS}
storage: ${JSON.stringify(storage)}
${limits}`;
}

export async function createSwiftletRuntime(o: SwiftletBenchOptions): Promise<Runtime> {
  return createRuntime({ config: parseConfig(swiftletConfigYaml(o), { env: {} }).config });
}

export async function swiftletContender(o: ContenderOptions): Promise<Contender> {
  const runtime = await createSwiftletRuntime(o);
  return {
    key: 'swiftlet',
    async turn(i) {
      const end = await runtime.run({ sessionId: sessionFor(i, o.sessions), input: turnInput(i) }).result;
      return end.outcome === 'final' && end.text === FINAL_TEXT;
    },
    close: () => runtime.close(),
  };
}
