import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig, type SwiftletConfig } from '../../src/config/index.js';

/** A temp directory removed when the test ends. */
export function tempDir(t: { after: (fn: () => void) => void }, prefix = 'swiftlet-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  // Retries: a child that is still exiting (a browser flushing its cache) may write into it a moment longer.
  t.after(() => rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 }));
  return dir;
}

export interface TestConfigOptions {
  mockUrl: string;
  storage?: string;
  agentExtra?: string;
  /** More keys of agent `assistant`, one per line, indented by four spaces (`    skills: [search]`). */
  assistant?: string;
  limits?: string;
  bus?: string;
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
${o.assistant ?? ''}
${o.agentExtra ?? ''}
storage: ${o.storage ?? '{ driver: memory }'}
${o.limits ? `limits: ${o.limits}` : ''}
${o.bus ? `bus: ${o.bus}` : ''}
`;
  return parseConfig(yaml, { env: {} }).config;
}

/** Model timeouts long enough for a mock that is told to hold its first token for minutes. */
export const PATIENT_TIMEOUTS = '{ connectMs: 5000, firstTokenMs: 300000, idleMs: 300000, totalMs: 600000 }';

/**
 * Writes `dir/swiftlet.yaml` for a child process (`swiftlet serve`, `run`, …) or `createRuntime({ configPath })`: one
 * agent `assistant` on provider `llm`, the mock at `mockUrl` over the OpenAI API, no retries, log level warn.
 * `agents` is more YAML under `agents:` (four spaces in: more keys of `assistant`), `bus` the bus section. Returns
 * its path.
 */
export function writeMockConfig(
  dir: string,
  mockUrl: string,
  o: { storage: string; provider?: string; server?: string; agents?: string; bus?: string },
): string {
  const path = join(dir, 'swiftlet.yaml');
  writeFileSync(
    path,
    `
providers:
  llm:
    type: openai
    baseUrl: ${mockUrl}/v1
    apiKey: test-key
    retries: { max: 0 }
${o.provider ?? ''}
agents:
  assistant:
    model: llm/mock-model
${o.agents ?? ''}
storage: ${o.storage}
${o.server === undefined ? '' : `server: ${o.server}`}
${o.bus === undefined ? '' : `bus: ${o.bus}`}
logging: { level: warn }
`,
  );
  return path;
}
