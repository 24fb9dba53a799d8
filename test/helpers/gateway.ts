import pino from 'pino';
import { createRuntime, type Runtime } from '../../src/runtime/index.js';
import { startMockLlm, type MockLlm, type MockLlmOptions } from '../../src/model/index.js';
import { DEFAULT_SERVER_OPTIONS, startGateway, type Gateway, type ServerOptions } from '../../src/gateway/index.js';
import { sha256Hex } from '../../src/gateway/auth.js';
import { testConfig, type TestConfigOptions } from './runtime.js';

export interface TestGateway {
  url: string;
  gateway: Gateway;
  runtime: Runtime;
  mock: MockLlm;
}

/**
 * A mock LLM, a runtime on it (memory store unless `config.storage` says otherwise) and a gateway on 127.0.0.1:0,
 * all closed when the test ends.
 */
export async function startTestGateway(
  t: { after: (fn: () => Promise<void>) => void },
  opts: {
    server?: Partial<ServerOptions>;
    config?: Omit<TestConfigOptions, 'mockUrl'>;
    mock?: MockLlmOptions;
    /** A `/metrics` exposition (the gateway serves the route only when given one). */
    metrics?: () => Promise<{ contentType: string; body: string }>;
    /** Plain API keys: name → key (hashed here as the config would). */
    keys?: Record<
      string,
      | string
      | {
          key: string;
          tenant?: string;
          admin?: boolean;
          agents?: string[];
          ratePerSec?: number;
          burst?: number;
          maxConcurrentTurns?: number;
        }
    >;
  } = {},
): Promise<TestGateway> {
  const mock = await startMockLlm(opts.mock ?? {});
  const runtime = await createRuntime({ config: testConfig({ mockUrl: mock.url, ...opts.config }) });
  const apiKeys = Object.entries(opts.keys ?? {}).map(([name, v]) => {
    const spec = typeof v === 'string' ? { key: v } : v;
    const { key, tenant, ...rest } = spec;
    return { name, sha256: sha256Hex(key), tenant: tenant ?? name, ...rest };
  });
  const gateway = await startGateway(
    runtime,
    { ...DEFAULT_SERVER_OPTIONS, port: 0, apiKeys, ...opts.server },
    pino({ level: process.env.SWIFTLET_TEST_LOG ?? 'silent' }),
    opts.metrics ? { metrics: opts.metrics } : {},
  );
  t.after(async () => {
    await gateway.close({ drainMs: 0 });
    await mock.close();
  });
  return { url: gateway.url, gateway, runtime, mock };
}
