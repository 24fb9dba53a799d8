import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SwiftletError } from '../../src/core/index.js';
import type { ProviderOptions } from '../../src/model/types.js';
import { parseConfig, type ProviderConfig } from '../../src/config/index.js';

const EXAMPLES = fileURLToPath(new URL('../../examples/', import.meta.url));
const KEYS = { OPENAI_API_KEY: 'sk-env', ANTHROPIC_API_KEY: 'sk-ant-env' };

function issuesOf(fn: () => unknown): { path: string; message: string }[] {
  try {
    fn();
  } catch (err) {
    assert.ok(SwiftletError.isInstance(err));
    assert.equal(err.code, 'SWIFTLET_ERR_CONFIG_INVALID');
    return [...(err.issues ?? [])];
  }
  assert.fail('the config was accepted');
}

const MINIMAL = 'providers:\n  mock: { type: mock }\nagents:\n  a: { model: mock/m }\n';

describe('parseConfig', () => {
  test('examples/swiftlet.yaml uses every option and parses with an empty environment', () => {
    const file = join(EXAMPLES, 'swiftlet.yaml');
    const { config, source, warnings } = parseConfig(readFileSync(file, 'utf8'), { env: {}, source: file });
    assert.equal(source, file);
    assert.deepEqual(Object.keys(config.agents), ['support', 'planner', 'echo']);
    const support = config.agents.support!;
    assert.equal(support.model, 'mock/mock-1');
    assert.equal(support.provider, 'mock');
    assert.equal(support.modelId, 'mock-1');
    assert.equal(support.temperature, 0.3);
    assert.deepEqual(support.tools, [
      { name: 'todo' },
      { name: 'current_time', timeoutMs: 1000 },
      {
        name: 'http_fetch',
        allowHosts: ['status.example.com', '*.api.example.com', 'docs.example.com:8443'],
        maxBytes: 262144,
        timeoutMs: 10000,
        allowHttp: false,
      },
    ]);
    assert.deepEqual(config.providers.mock!.headers, { 'X-Swiftlet-Example': 'docs' });
    assert.deepEqual(config.storage, {
      driver: 'sqlite',
      path: join(EXAMPLES, '.swiftlet/swiftlet.db'),
      synchronous: 'normal',
      durability: 'durable',
      flushIntervalMs: 50,
      hotCacheMb: 64,
      pruning: { maxMessages: 500, ttlDays: 90, intervalMs: 3600000 },
    });
    assert.ok(warnings.some((w) => /mock LLM/.test(w)));
  });

  test('the other examples parse too', () => {
    for (const name of ['openai.yaml', 'postgres.yaml']) {
      const file = join(EXAMPLES, name);
      const { config } = parseConfig(readFileSync(file, 'utf8'), { env: { OPENAI_API_KEY: 'sk-x' }, source: file });
      assert.ok(Object.keys(config.agents).length > 0, name);
    }
  });

  test('a minimal file gets every default', () => {
    const { config, source } = parseConfig(MINIMAL, { env: {} });
    assert.equal(source, null);
    assert.deepEqual(config, {
      providers: {
        mock: {
          name: 'mock',
          type: 'mock',
          baseUrl: '',
          headers: {},
          timeouts: { connectMs: 10000, firstTokenMs: 60000, idleMs: 60000, totalMs: 600000 },
          retries: { max: 2, baseDelayMs: 500, maxDelayMs: 20000 },
          maxConnections: 64,
        },
      },
      agents: {
        a: {
          name: 'a',
          description: '',
          model: 'mock/m',
          provider: 'mock',
          modelId: 'm',
          instructions: '',
          tools: [],
          maxSteps: 8,
          historyWindow: 50,
          toolTimeoutMs: 30000,
          maxOutputBytes: 1048576,
          skills: [],
          maxConcurrentTasks: 4,
        },
      },
      storage: {
        driver: 'sqlite',
        path: resolve('.swiftlet/swiftlet.db'),
        synchronous: 'normal',
        durability: 'durable',
        flushIntervalMs: 50,
        hotCacheMb: 64,
        pruning: { intervalMs: 3600000 },
      },
      limits: {
        maxQueuedTurnsPerSession: 8,
        maxConcurrentTurns: 256,
        maxInputBytes: 1048576,
        maxToolOutputBytes: 65536,
      },
      server: {
        host: '127.0.0.1',
        port: 8080,
        apiKeys: [],
        bodyLimitBytes: 1048576,
        maxConcurrentTurns: 1024,
        idleTimeoutMs: 60000,
        headersTimeoutMs: 10000,
        requestTimeoutMs: 30000,
        maxConnections: 10000,
        drainTimeoutMs: 10000,
        allowedOrigins: [],
        allowedHosts: [],
        sseHeartbeatMs: 15000,
        wsMaxBufferedBytes: 4194304,
        metrics: true,
        webPage: true,
      },
      bus: { driver: 'local', leaseMs: 30000, maxAttempts: 3, maxQueued: 10000, sweepMs: 1000 },
      logging: { level: 'info' },
    });
  });

  test('model ids may contain slashes; only the first one separates the provider', () => {
    const yaml =
      'providers:\n  or: { type: openai, baseUrl: "https://openrouter.ai/api/v1/" }\nagents:\n  a: { model: or/meta-llama/llama-3-70b }\n';
    const { config } = parseConfig(yaml, { env: {} });
    assert.equal(config.agents.a!.provider, 'or');
    assert.equal(config.agents.a!.modelId, 'meta-llama/llama-3-70b');
    assert.equal(config.providers.or!.baseUrl, 'https://openrouter.ai/api/v1');
  });

  test('API keys: the field, else the env var by type; none needed off the official URL', () => {
    const yaml = `providers:
  a: { type: openai, apiKey: sk-field }
  b: { type: openai }
  c: { type: anthropic }
  d: { type: openai, baseUrl: "http://127.0.0.1:11434/v1" }
agents:
  x: { model: a/m }
  y: { model: b/m }
  z: { model: c/m }
  w: { model: d/m }
`;
    const { config, warnings } = parseConfig(yaml, { env: KEYS });
    assert.equal(config.providers.a!.apiKey, 'sk-field');
    assert.equal(config.providers.b!.apiKey, 'sk-env');
    assert.equal(config.providers.b!.baseUrl, 'https://api.openai.com/v1');
    assert.equal(config.providers.c!.apiKey, 'sk-ant-env');
    assert.equal(config.providers.c!.baseUrl, 'https://api.anthropic.com');
    assert.deepEqual(warnings, []);
    const local = parseConfig(
      'providers:\n  d: { type: openai, baseUrl: "http://127.0.0.1:11434/v1" }\nagents:\n  w: { model: d/m }\n',
      {
        env: {},
      },
    );
    assert.equal('apiKey' in local.config.providers.d!, false);
  });

  test('${ENV} interpolation: set, default, empty with default, literal $${ and lone $; keys untouched', () => {
    const yaml = `providers:
  p:
    type: openai
    baseUrl: \${BASE:-http://127.0.0.1:1234}/v1
    apiKey: "\${KEY}"
    headers: { "\${NOT_A_KEY}": "x", X-Empty: "\${EMPTY:-fallback}", X-Set-Empty: "[\${EMPTY}]" }
agents:
  a:
    model: p/\${MODEL:-small}
    instructions: "costs $5, write $\${HOME} for the home directory, user \${USER_NAME}"
    maxSteps: 3
`;
    const env = { KEY: 'sk-1', EMPTY: '', USER_NAME: 'ada' };
    const { config } = parseConfig(yaml.replace('"${NOT_A_KEY}": "x", ', ''), { env });
    const p = config.providers.p!;
    assert.equal(p.baseUrl, 'http://127.0.0.1:1234/v1');
    assert.equal(p.apiKey, 'sk-1');
    assert.deepEqual(p.headers, { 'X-Empty': 'fallback', 'X-Set-Empty': '[]' });
    assert.equal(config.agents.a!.modelId, 'small');
    assert.equal(config.agents.a!.instructions, 'costs $5, write ${HOME} for the home directory, user ada');
    assert.equal(config.agents.a!.maxSteps, 3);
    // A key is never interpolated: `${NOT_A_KEY}` stays a (here invalid) header name.
    const issues = issuesOf(() => parseConfig(yaml, { env }));
    assert.deepEqual(
      issues.map((i) => i.path),
      ['providers.p.headers["${NOT_A_KEY}"]'],
    );
  });

  test('the result is deep-frozen', () => {
    const { config } = parseConfig(
      'providers:\n  mock: { type: mock }\nagents:\n  a: { model: mock/m, tools: [{ name: http_fetch, allowHosts: [X.COM] }] }\n',
      { env: {} },
    );
    for (const obj of [
      config,
      config.agents,
      config.agents.a,
      config.agents.a!.tools,
      config.providers.mock!.timeouts,
    ]) {
      assert.ok(Object.isFrozen(obj));
    }
    const tool = config.agents.a!.tools[0]!;
    assert.ok(tool.name === 'http_fetch');
    assert.deepEqual(tool.allowHosts, ['x.com']);
    assert.throws(() => (tool.allowHosts as string[]).push('evil.com'), TypeError);
    assert.throws(() => {
      (config.limits as { maxInputBytes: number }).maxInputBytes = 1;
    }, TypeError);
  });

  test('sqlite paths resolve against the config file directory; absolute and :memory: stay as they are', () => {
    const storage = (s: string, source?: string) =>
      parseConfig(`${MINIMAL}storage: ${s}\n`, { env: {}, ...(source ? { source } : {}) }).config.storage;
    assert.deepEqual(storage('{ path: data/s.db }', '/srv/app/swiftlet.yaml'), storage('{ path: /srv/app/data/s.db }'));
    const s = storage('{ path: ":memory:" }', '/srv/app/swiftlet.yaml');
    assert.ok(s.driver === 'sqlite' && s.path === ':memory:');
    assert.deepEqual(storage('{ driver: memory }'), {
      driver: 'memory',
      durability: 'durable',
      flushIntervalMs: 50,
      hotCacheMb: 64,
      pruning: { intervalMs: 3600000 },
    });
    const pg = storage('{ driver: postgres, url: "postgres://u:p@db/x", durability: relaxed }');
    assert.deepEqual(pg, {
      driver: 'postgres',
      url: 'postgres://u:p@db/x',
      maxConnections: 10,
      durability: 'relaxed',
      flushIntervalMs: 50,
      hotCacheMb: 64,
      pruning: { intervalMs: 3600000 },
    });
  });

  test('one error carries every issue, named after the source, with the first path as field', () => {
    const err = (() => {
      try {
        parseConfig('providers: {}\nagents:\n  a: { model: x/m, maxSteps: 0 }\n', { env: {}, source: 'my.yaml' });
      } catch (e) {
        return e;
      }
    })();
    assert.ok(SwiftletError.isInstance(err));
    assert.equal(err.message, 'config my.yaml has 2 problems');
    assert.equal(err.field, 'agents.a.model');
    assert.deepEqual(err.toJSON().issues, [
      { path: 'agents.a.model', message: 'unknown provider "x"; no providers are defined' },
      { path: 'agents.a.maxSteps', message: 'must be >= 1, got 0' },
    ]);
  });

  test('provider config is assignable to the model port options, except for type mock', () => {
    const { config } = parseConfig(
      'providers:\n  openai: { type: openai, headers: { X-A: b } }\nagents:\n  a: { model: openai/m }\n',
      { env: KEYS },
    );
    const p: ProviderConfig = config.providers.openai!;
    assert.ok(p.type !== 'mock');
    const options: ProviderOptions = { ...p, type: p.type };
    assert.deepEqual(Object.keys(options).sort(), [
      'apiKey',
      'baseUrl',
      'headers',
      'maxConnections',
      'name',
      'retries',
      'timeouts',
      'type',
    ]);
    // Compile-time: the full union (mock included) fits the port's shape with a wider `type`.
    const wide: Omit<ProviderOptions, 'type'> & { type: ProviderOptions['type'] | 'mock' } = p;
    assert.equal(wide.name, 'openai');
  });
});
