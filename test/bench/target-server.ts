// A running `swiftlet serve` for the benchmarks' --target tests: the built-in mock model, memory store, metrics on,
// and an admin API key that the benchmark must send.
import type { TestContext } from 'node:test';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../helpers/runtime.js';
import { startServe } from '../gateway/native-support.js';

export const TARGET_KEY = 'bench-key-0123456789abcdef';

/** Starts the server (stopped after the test) and resolves to its base URL. */
export async function startTargetServer(t: TestContext, agent = 'assistant'): Promise<string> {
  const dir = tempDir(t);
  const config = join(dir, 'swiftlet.yaml');
  writeFileSync(
    config,
    [
      'providers: { m: { type: mock } }',
      `agents: { ${agent}: { model: m/mock-1 } }`,
      'storage: { driver: memory }',
      // An admin key: /metrics (the server's memory figures) answers only an operator's key.
      `server: { metrics: true, apiKeys: [{ name: bench, key: ${TARGET_KEY}, admin: true }] }`,
      'logging: { level: silent }',
    ].join('\n'),
  );
  const serve = startServe(['--config', config, '--port', '0'], dir);
  t.after(async () => (await serve.child).kill('SIGTERM'));
  return serve.url;
}
