import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SwiftletError } from '../../src/core/index.js';
import { defaultConfig, loadConfig, NO_API_KEY_WARNING } from '../../src/config/index.js';
import { tempDir } from '../helpers/runtime.js';

/** A config whose only agent is named after `tag`, so a test can tell which file was loaded. */
function write(path: string, tag: string): string {
  writeFileSync(path, `providers:\n  mock: { type: mock }\nagents:\n  ${tag}: { model: mock/m }\n`);
  return path;
}

const agentsOf = (l: { config: { agents: object } }) => Object.keys(l.config.agents);

async function rejection(p: Promise<unknown>): Promise<SwiftletError> {
  try {
    await p;
  } catch (err) {
    assert.ok(SwiftletError.isInstance(err));
    return err;
  }
  assert.fail('expected a rejection');
}

describe('loadConfig discovery', () => {
  test('explicit path, then SWIFTLET_CONFIG, then ./swiftlet.yaml, then ./swiftlet.yml, then the default', async (t) => {
    const cwd = tempDir(t, 'swiftlet-config-');
    mkdirSync(join(cwd, 'conf'));
    const explicit = write(join(cwd, 'conf', 'explicit.yaml'), 'explicit');
    const fromEnv = write(join(cwd, 'conf', 'env.yaml'), 'from_env');
    const env = { SWIFTLET_CONFIG: fromEnv };

    assert.deepEqual(agentsOf(await loadConfig({ cwd, env: {} })), ['assistant']);
    write(join(cwd, 'swiftlet.yml'), 'yml');
    assert.deepEqual(agentsOf(await loadConfig({ cwd, env: {} })), ['yml']);
    write(join(cwd, 'swiftlet.yaml'), 'yaml');
    const both = await loadConfig({ cwd, env: {} });
    assert.deepEqual(agentsOf(both), ['yaml']);
    assert.equal(both.source, join(cwd, 'swiftlet.yaml'));
    assert.match(both.warnings[0] ?? '', /swiftlet\.yml/);
    assert.deepEqual(agentsOf(await loadConfig({ cwd, env })), ['from_env']);
    const loaded = await loadConfig({ cwd, env, path: 'conf/explicit.yaml' });
    assert.deepEqual(agentsOf(loaded), ['explicit']);
    assert.equal(loaded.source, explicit);
  });

  test('a missing explicit or SWIFTLET_CONFIG file is an error naming it, not a silent fallback', async (t) => {
    const cwd = tempDir(t, 'swiftlet-config-');
    write(join(cwd, 'swiftlet.yaml'), 'present');
    const a = await rejection(loadConfig({ cwd, env: {}, path: 'nope.yaml' }));
    assert.equal(a.code, 'SWIFTLET_ERR_CONFIG_NOT_FOUND');
    assert.match(a.message, new RegExp(`${join(cwd, 'nope.yaml')} not found`));
    const b = await rejection(loadConfig({ cwd, env: { SWIFTLET_CONFIG: '/no/such/swiftlet.yaml' } }));
    assert.equal(b.code, 'SWIFTLET_ERR_CONFIG_NOT_FOUND');
    assert.match(b.message, /\/no\/such\/swiftlet\.yaml \(from SWIFTLET_CONFIG\) not found/);
    const c = await rejection(loadConfig({ cwd, env: {}, path: cwd }));
    assert.equal(c.code, 'SWIFTLET_ERR_CONFIG_NOT_FOUND');
    assert.match(c.message, /cannot be read/);
  });

  test('an invalid discovered file is reported, not replaced by the default', async (t) => {
    const cwd = tempDir(t, 'swiftlet-config-');
    writeFileSync(join(cwd, 'swiftlet.yaml'), 'agents: {}\n');
    const err = await rejection(loadConfig({ cwd, env: {} }));
    assert.equal(err.code, 'SWIFTLET_ERR_CONFIG_INVALID');
    assert.match(err.message, new RegExp(`config ${join(cwd, 'swiftlet.yaml')} has 2 problems`));
  });
});

describe('defaultConfig', () => {
  test('no key: one assistant on the built-in mock, with one loud warning naming the env vars', (t) => {
    const cwd = tempDir(t, 'swiftlet-config-');
    const { config, source, warnings } = defaultConfig({}, { cwd });
    assert.equal(source, null);
    assert.deepEqual(warnings, [NO_API_KEY_WARNING]);
    assert.match(NO_API_KEY_WARNING, /OPENAI_API_KEY/);
    assert.match(NO_API_KEY_WARNING, /ANTHROPIC_API_KEY/);
    assert.match(NO_API_KEY_WARNING, /mock LLM/);
    assert.equal(config.providers.mock!.type, 'mock');
    const a = config.agents.assistant!;
    assert.equal(a.provider, 'mock');
    assert.ok(a.instructions.length > 0);
    assert.deepEqual(a.tools, [{ name: 'todo' }, { name: 'current_time' }]);
    assert.deepEqual(config.storage.driver === 'sqlite' && config.storage.path, join(cwd, '.swiftlet/swiftlet.db'));
    assert.ok(Object.isFrozen(config.agents));
  });

  test('OPENAI_API_KEY wins, with OPENAI_MODEL and OPENAI_BASE_URL honoured', () => {
    const env = {
      OPENAI_API_KEY: 'sk-o',
      OPENAI_MODEL: 'gpt-4.1',
      OPENAI_BASE_URL: 'http://127.0.0.1:8080/v1/',
      ANTHROPIC_API_KEY: 'sk-a',
    };
    const { config, warnings } = defaultConfig(env);
    assert.deepEqual(warnings, []);
    assert.deepEqual(Object.keys(config.providers), ['openai']);
    assert.equal(config.providers.openai!.baseUrl, 'http://127.0.0.1:8080/v1');
    assert.equal(config.providers.openai!.apiKey, 'sk-o');
    assert.equal(config.agents.assistant!.model, 'openai/gpt-4.1');
    assert.equal(defaultConfig({ OPENAI_API_KEY: 'sk-o' }).config.agents.assistant!.model, 'openai/gpt-4o-mini');
  });

  test('else ANTHROPIC_API_KEY, with ANTHROPIC_MODEL', () => {
    const a = defaultConfig({ ANTHROPIC_API_KEY: 'sk-a' }).config;
    assert.equal(a.agents.assistant!.model, 'anthropic/claude-sonnet-4-5');
    assert.equal(a.providers.anthropic!.apiKey, 'sk-a');
    assert.equal(a.providers.anthropic!.baseUrl, 'https://api.anthropic.com');
    const b = defaultConfig({ ANTHROPIC_API_KEY: 'sk-a', ANTHROPIC_MODEL: 'claude-opus-4-1' }).config;
    assert.equal(b.agents.assistant!.modelId, 'claude-opus-4-1');
  });

  test('environment values are data, not templates', () => {
    const { config } = defaultConfig({ OPENAI_API_KEY: 'sk-o', OPENAI_MODEL: 'odd-${X}' });
    assert.equal(config.agents.assistant!.modelId, 'odd-${X}');
  });
});
