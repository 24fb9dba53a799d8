// `swiftlet tasks` beside a running `swiftlet serve`, both on one SQLite file (tasks.test.ts, tasks-cancel.test.ts).
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startMockLlm, type MockLlm } from '../../src/model/index.js';
import { runCli, type CliResult } from '../helpers/cli.js';
import { tempDir, writeMockConfig } from '../helpers/runtime.js';
import { startServe } from '../gateway/native-support.js';

const AGENTS = `    skills: [summarise]
  researcher:
    model: llm/mock-model
    skills: [search, summarise]`;

export interface Setup {
  mock: MockLlm;
  url: string;
  cli: (...args: string[]) => Promise<CliResult>;
}

/**
 * A mock LLM, `swiftlet serve` on it (agents assistant and researcher, a sweep every 100 ms), the CLI on its store.
 * `bus`: the config's bus section instead.
 */
export async function setup(t: TestContext, bus = '{ sweepMs: 100 }'): Promise<Setup> {
  const dir = tempDir(t);
  const mock = await startMockLlm({});
  t.after(() => mock.close());
  const config = writeMockConfig(dir, mock.url, {
    storage: `{ driver: sqlite, path: ${JSON.stringify(join(dir, 'shared.db'))} }`,
    agents: AGENTS,
    bus,
  });
  const serve = startServe(['--config', config, '--port', '0'], dir);
  t.after(async () => {
    (await serve.child).kill('SIGTERM');
    await serve.exit;
  });
  const url = await serve.url;
  return { mock, url, cli: (...args) => runCli(['tasks', ...args, '--config', config], { cwd: dir }) };
}

export function ok(r: CliResult, what: string): CliResult {
  assert.equal(r.code, 0, `${what}: ${r.stderr}`);
  return r;
}
