import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig, type SwiftletConfig } from '../../src/config/index.js';

/** A temp directory removed when the test ends. */
export function tempDir(t: { after: (fn: () => void) => void }, prefix = 'swiftlet-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export interface TestConfigOptions {
  mockUrl: string;
  storage?: string;
  agentExtra?: string;
  limits?: string;
  timeouts?: string;
  retries?: string;
  tools?: string;
}

/** A config whose single agent `assistant` talks to the given mock LLM over the OpenAI wire format. */
export function testConfig(o: TestConfigOptions): SwiftletConfig {
  const yaml = `
providers:
  mock:
    type: openai
    baseUrl: ${o.mockUrl}/v1
    apiKey: test-key
    timeouts: ${o.timeouts ?? '{ connectMs: 2000, firstTokenMs: 5000, idleMs: 5000, totalMs: 20000 }'}
    retries: ${o.retries ?? '{ max: 0, baseDelayMs: 10, maxDelayMs: 100 }'}
agents:
  assistant:
    model: mock/mock-model
    instructions: You are a test agent.
    tools: ${o.tools ?? '[todo, current_time]'}
${o.agentExtra ?? ''}
storage: ${o.storage ?? '{ driver: memory }'}
${o.limits ? `limits: ${o.limits}` : ''}
`;
  return parseConfig(yaml, { env: {} }).config;
}
