import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultConfig, loadConfig, parseConfig, type ServerConfig } from '../../src/config/index.js';
import { DEFAULT_SERVER_OPTIONS, type ServerOptions } from '../../src/gateway/index.js';
import { tempDir } from '../helpers/runtime.js';

const EXAMPLE = fileURLToPath(new URL('../../examples/swiftlet.yaml', import.meta.url));
const HEAD = 'providers:\n  mock: { type: mock }\nagents:\n  a: { model: mock/m }\n  b: { model: mock/m }\n';
const sha = (s: string) => createHash('sha256').update(s).digest('hex');

describe('server and logging', () => {
  test('the defaults are the gateway defaults; ServerConfig and ServerOptions are one shape', () => {
    const { config } = parseConfig(HEAD, { env: {} });
    assert.deepEqual(config.server, DEFAULT_SERVER_OPTIONS);
    assert.deepEqual(config.logging, { level: 'info' });
    // Compile-time, both ways: a loaded config starts the gateway as is, and the gateway defaults are a config.
    const options: ServerOptions = config.server;
    const back: ServerConfig = DEFAULT_SERVER_OPTIONS;
    assert.deepEqual(Object.keys(options).sort(), Object.keys(back).sort());
  });

  test('keys are hashed at load; keyHash is lower-cased; burst defaults from the rate; the plain key is gone', () => {
    const hash = sha('bob-key-0123456789');
    const yaml =
      HEAD +
      'server:\n  apiKeys:\n' +
      '    - { name: alice, key: "${ALICE_KEY}", agents: [a], ratePerSec: 2.5, maxConcurrentTurns: 3 }\n' +
      `    - { name: bob, keyHash: "sha256:${hash.toUpperCase()}" }\n` +
      '    - { name: carol, key: carol-key-0123456789, ratePerSec: 0.2, burst: 7 }\n';
    const { config } = parseConfig(yaml, { env: { ALICE_KEY: 'alice-key-0123456789' } });
    assert.deepEqual(config.server.apiKeys, [
      {
        name: 'alice',
        sha256: sha('alice-key-0123456789'),
        tenant: 'alice',
        admin: false,
        agents: ['a'],
        ratePerSec: 2.5,
        burst: 3,
        maxConcurrentTurns: 3,
      },
      { name: 'bob', sha256: hash, tenant: 'bob', admin: false },
      { name: 'carol', sha256: sha('carol-key-0123456789'), tenant: 'carol', admin: false, ratePerSec: 0.2, burst: 7 },
    ]);
    assert.doesNotMatch(JSON.stringify(config), /alice-key|carol-key/);
    assert.ok(Object.isFrozen(config.server.apiKeys[0]!.agents));
    const slow = parseConfig(HEAD + 'server:\n  apiKeys: [{ name: s, key: slow-key-0123456789, ratePerSec: 0.5 }]\n', {
      env: {},
    });
    assert.equal(slow.config.server.apiKeys[0]!.burst, 1);
  });

  test('SWIFTLET_API_KEYS adds env-1, env-2, … after the configured keys, in files and in the default', async (t) => {
    const env = { SWIFTLET_API_KEYS: ' first-key-0123456789 ,, second-key-0123456789' };
    const yaml = HEAD + 'server:\n  apiKeys: [{ name: app, key: app-key-0123456789, agents: [b] }]\n';
    const expected = [
      { name: 'env-1', sha256: sha('first-key-0123456789'), tenant: 'env-1', admin: false },
      { name: 'env-2', sha256: sha('second-key-0123456789'), tenant: 'env-2', admin: false },
    ];
    const fromFile = parseConfig(yaml, { env }).config.server.apiKeys;
    assert.deepEqual(fromFile, [
      { name: 'app', sha256: sha('app-key-0123456789'), tenant: 'app', admin: false, agents: ['b'] },
      ...expected,
    ]);
    const cwd = tempDir(t, 'swiftlet-config-server-');
    assert.deepEqual((await loadConfig({ cwd, env })).config.server.apiKeys, expected);
    assert.deepEqual(defaultConfig(env, { cwd }).config.server.apiKeys, expected);
    writeFileSync(join(cwd, 'swiftlet.yaml'), yaml);
    assert.deepEqual((await loadConfig({ cwd, env })).config.server.apiKeys.length, 3);
    assert.deepEqual(defaultConfig({}, { cwd }).config.server.apiKeys, []);
  });

  test('warnings: a short key, and a non-loopback host with no key at all', () => {
    const short = parseConfig(HEAD + 'server:\n  apiKeys: [{ name: x, key: abc }]\n', { env: {} });
    assert.ok(short.warnings.some((w) => w.startsWith('server.apiKeys[0].key is only 3 characters')));
    const open = parseConfig(HEAD + 'server:\n  host: 0.0.0.0\n', { env: {} });
    assert.ok(open.warnings.some((w) => /server\.host 0\.0\.0\.0 is not a loopback address/.test(w)));
    const keyed = parseConfig(HEAD + 'server:\n  host: 0.0.0.0\n', { env: { SWIFTLET_API_KEYS: 'k'.repeat(32) } });
    assert.ok(!keyed.warnings.some((w) => /loopback/.test(w)));
    for (const host of ['127.0.0.1', '127.8.9.10', '::1', 'localhost']) {
      const r = parseConfig(HEAD + `server:\n  host: '${host}'\n`, { env: {} });
      assert.ok(!r.warnings.some((w) => /loopback/.test(w)), host);
    }
  });

  test('origins are kept lower-case; hostnames, IPv4 and IPv6 hosts and port 0 are accepted', () => {
    const yaml =
      HEAD + 'server:\n  host: "::"\n  port: 0\n  allowedOrigins: [HTTPS://App.Example.com, "http://localhost:5173"]\n';
    const { server } = parseConfig(yaml, { env: { SWIFTLET_API_KEYS: 'k'.repeat(32) } }).config;
    assert.deepEqual(server.allowedOrigins, ['https://app.example.com', 'http://localhost:5173']);
    assert.equal(server.host, '::');
    assert.equal(server.port, 0);
    for (const host of ['0.0.0.0', 'swiftlet.internal', 'fe80::1']) {
      assert.equal(
        parseConfig(HEAD + `server: { host: '${host}', apiKeys: [{ name: k, key: k${'x'.repeat(20)} }] }\n`, {
          env: {},
        }).config.server.host,
        host,
      );
    }
  });

  test('request timeouts: headers within the request time; host names lower-cased, no ports or schemes', () => {
    const bad = (yaml: string) => {
      try {
        parseConfig(HEAD + yaml, { env: {} });
      } catch (err) {
        return (err as { issues: { path: string; message: string }[] }).issues;
      }
      assert.fail(`accepted: ${yaml}`);
    };
    assert.match(
      bad('server: { headersTimeoutMs: 40000 }\n')[0]!.message,
      /headersTimeoutMs \(40000\) must not exceed requestTimeoutMs \(30000\)/,
    );
    assert.equal(bad('server: { requestTimeoutMs: 5000 }\n')[0]!.path, 'server.requestTimeoutMs');
    for (const host of ['http://a.example', 'a.example:8080', '*', 'a b']) {
      assert.equal(bad(`server: { allowedHosts: ['${host}'] }\n`)[0]!.path, 'server.allowedHosts[0]', host);
    }
    const { server } = parseConfig(HEAD + 'server: { allowedHosts: [Agents.LAN, "*.Example.com"] }\n', {
      env: {},
    }).config;
    assert.deepEqual(server.allowedHosts, ['agents.lan', '*.example.com']);
  });

  test('server.grpc: off when absent; host and port defaults; TLS files relative to the config file', () => {
    assert.equal(parseConfig(HEAD, { env: {} }).config.server.grpc, undefined);
    assert.deepEqual(parseConfig(HEAD + 'server: { grpc: {} }\n', { env: {} }).config.server.grpc, {
      host: '127.0.0.1',
      port: 50051,
    });
    const source = '/srv/swiftlet/swiftlet.yaml';
    const yaml = HEAD + 'server:\n  grpc: { port: 0, tls: { certFile: tls/cert.pem, keyFile: /etc/key.pem } }\n';
    assert.deepEqual(parseConfig(yaml, { env: {}, source }).config.server.grpc, {
      host: '127.0.0.1',
      port: 0,
      tls: { certFile: '/srv/swiftlet/tls/cert.pem', keyFile: '/etc/key.pem' },
    });
    const issues = (yaml: string) => {
      try {
        parseConfig(HEAD + yaml, { env: {} });
      } catch (err) {
        return (err as { issues: { path: string; message: string }[] }).issues;
      }
      assert.fail(`accepted: ${yaml}`);
    };
    assert.deepEqual(issues('server: { grpc: { port: 8080 } }\n')[0], {
      path: 'server.grpc.port',
      message: 'the same port as server.port (8080)',
    });
    assert.equal(issues('server: { grpc: { tls: { certFile: c.pem } } }\n')[0]!.path, 'server.grpc.tls.keyFile');
    assert.equal(issues('server: { grpc: { hots: x } }\n')[0]!.path, 'server.grpc.hots');
    const open = parseConfig(HEAD + 'server: { grpc: { host: 0.0.0.0 } }\n', { env: {} });
    assert.ok(open.warnings.some((w) => /server\.grpc\.host 0\.0\.0\.0 is not a loopback address/.test(w)));
  });

  test('examples/swiftlet.yaml sets every server and logging key', () => {
    const { config } = parseConfig(readFileSync(EXAMPLE, 'utf8'), { env: {}, source: EXAMPLE });
    assert.deepEqual(config.server.apiKeys, [
      {
        name: 'support-app',
        sha256: sha('swiftlet-example-key-do-not-deploy'),
        tenant: 'acme',
        admin: false,
        agents: ['support'],
        ratePerSec: 5,
        burst: 20,
        maxConcurrentTurns: 8,
      },
      {
        name: 'planner-batch',
        sha256: '02806543dafa33f0e1f2f93ed508f7c1d19df0fcc935cb58c764b6753370b77b',
        tenant: 'planner-batch',
        admin: false,
        agents: ['planner'],
      },
    ]);
    assert.deepEqual({ ...config.server, apiKeys: [] }, DEFAULT_SERVER_OPTIONS);
    assert.deepEqual(config.logging, { level: 'info' });
  });
});
