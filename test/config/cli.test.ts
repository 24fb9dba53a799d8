// `swiftlet config check|schema` through the real CLI entry point, in a child process.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { configJsonSchema } from '../../src/config/index.js';
import { spawn } from 'node:child_process';
import { tempDir } from '../helpers/runtime.js';

const EXAMPLE = fileURLToPath(new URL('../../examples/swiftlet.yaml', import.meta.url));
const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
// Resolved here, so that the CLI can run in a directory that has no node_modules.
const TSX = import.meta.resolve('tsx');

/** `node --import tsx src/cli/main.ts …args`, without API keys or SWIFTLET_CONFIG in its environment. */
function runCli(
  args: string[],
  opts: { cwd?: string } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env = { ...process.env };
  for (const name of ['OPENAI_API_KEY', 'OPENAI_BASE_URL', 'ANTHROPIC_API_KEY', 'SWIFTLET_CONFIG']) delete env[name];
  const child = spawn(process.execPath, ['--import', TSX, MAIN, ...args], { cwd: opts.cwd ?? process.cwd(), env });
  child.stdin.end();
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('swiftlet config', () => {
  test('check a valid file: one ok line, warnings on stderr, exit 0', async () => {
    const r = await runCli(['config', 'check', EXAMPLE]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `ok: ${EXAMPLE}: 3 agents (support, planner, echo), 1 provider, storage sqlite\n`);
    assert.match(r.stderr, /^warning: provider mock is the built-in mock LLM/m);
  });

  test('check --json: a summary and the effective config with secrets masked', async (t) => {
    const dir = tempDir(t, 'swiftlet-config-cli-');
    const file = join(dir, 'swiftlet.yaml');
    writeFileSync(
      file,
      'providers:\n  openai: { type: openai, apiKey: sk-secret, headers: { X-Token: t0ken } }\nagents:\n  a: { model: openai/m }\n' +
        'storage: { driver: postgres, url: "postgres://app:hunter2@db:5432/x?password=QPASS999&sslpassword=SSLP" }\n',
    );
    const r = await runCli(['config', 'check', '--json', '--config', file]);
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stdout, /sk-secret|t0ken|hunter2|QPASS999|SSLP/);
    const out = JSON.parse(r.stdout) as {
      ok: boolean;
      source: string;
      agents: string[];
      storage: string;
      config: { providers: { openai: { apiKey: string; headers: Record<string, string> } }; storage: { url: string } };
    };
    assert.equal(out.ok, true);
    assert.equal(out.source, file);
    assert.deepEqual(out.agents, ['a']);
    assert.equal(out.storage, 'postgres');
    assert.equal(out.config.providers.openai.apiKey, '***');
    assert.deepEqual(out.config.providers.openai.headers, { 'X-Token': '***' });
    assert.equal(out.config.storage.url, 'postgres://app:***@db:5432/x?password=***&sslpassword=***');
  });

  test('check an invalid file: a headline and one line per problem, exit 2; --json gives the issues', async (t) => {
    const dir = tempDir(t, 'swiftlet-config-cli-');
    const file = join(dir, 'bad.yaml');
    writeFileSync(
      file,
      'providers:\n  mock: { type: mock }\nagents:\n  a:\n    model: mock/m\n    maxSteps: "8"\n    tols: []\n',
    );
    const r = await runCli(['config', 'check', file]);
    assert.equal(r.code, 2);
    assert.equal(r.stdout, '');
    assert.equal(
      r.stderr,
      `swiftlet: config ${file} has 2 problems [SWIFTLET_ERR_CONFIG_INVALID]\n` +
        '  agents.a.maxSteps: expected number, got string\n' +
        '  agents.a.tols: unknown key (did you mean "tools"?)\n',
    );
    const j = await runCli(['config', 'check', file, '--json']);
    assert.equal(j.code, 2);
    const err = JSON.parse(j.stderr) as { error: { code: string; issues: { path: string }[] } };
    assert.equal(err.error.code, 'SWIFTLET_ERR_CONFIG_INVALID');
    assert.deepEqual(
      err.error.issues.map((i) => i.path),
      ['agents.a.maxSteps', 'agents.a.tols'],
    );
  });

  test('check with nothing to find: the built-in default, loud about the mock; a missing file: exit 2', async (t) => {
    const dir = tempDir(t, 'swiftlet-config-cli-');
    const r = await runCli(['config', 'check'], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'ok: (built-in default): 1 agent (assistant), 1 provider, storage sqlite\n');
    assert.match(r.stderr, /^warning: no model provider is configured: agents answer with the built-in mock LLM/m);
    const missing = await runCli(['config', 'check', join(dir, 'nope.yaml')]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /nope\.yaml not found \[SWIFTLET_ERR_CONFIG_NOT_FOUND\]/);
  });

  test('schema prints the JSON Schema; a missing or unknown subcommand is a usage error', async () => {
    const r = await runCli(['config', 'schema']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), configJsonSchema());
    for (const args of [['config'], ['config', 'validate'], ['config', 'schema', 'extra']]) {
      const u = await runCli(args);
      assert.equal(u.code, 2, args.join(' '));
      assert.match(u.stderr, /usage: swiftlet config check \[file\] \| swiftlet config schema/);
    }
  });
});
