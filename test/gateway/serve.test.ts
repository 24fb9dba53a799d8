import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/runtime.js';
import { call, startServe } from './native-support.js';

test('swiftlet serve --help lists its options', async () => {
  const r = await runCli(['serve', '--help']);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /^Usage: swiftlet serve/);
  for (const flag of ['--host', '--port', '--log-level', '--config']) assert.ok(r.stdout.includes(flag), flag);
  assert.match(r.stdout, /SIGTERM/);
  const main = await runCli(['--help']);
  assert.match(main.stdout, /\bserve\b/);
});

test('swiftlet serve: bad flags and an unprotected public address exit 2 with one clear line', async (t) => {
  const dir = tempDir(t);
  const cases: [string[], RegExp][] = [
    [['--port', '70000'], /--port: expected 0 to 65535/],
    [['--port', 'x'], /--port: expected a non-negative integer/],
    [['--log-level', 'loud'], /--log-level: expected one of/],
    [['extra'], /unexpected arguments "extra"/],
    [['--host', '0.0.0.0', '--port', '0'], /refusing to listen on 0\.0\.0\.0 without API keys/],
  ];
  for (const [args, message] of cases) {
    const r = await runCli(['serve', ...args], { cwd: dir });
    assert.equal(r.code, 2, args.join(' '));
    assert.match(r.stderr, message, args.join(' '));
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  }
});

test('swiftlet serve on a port another process holds: exit 1, one line naming the port and the code', async (t) => {
  const dir = tempDir(t);
  const holder = createServer();
  await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => holder.close(() => resolve())));
  const { port } = holder.address() as AddressInfo;
  const r = await runCli(['serve', '--port', String(port)], { cwd: dir });
  assert.equal(r.code, 1, r.stderr);
  const lines = r.stderr.split('\n').filter((l) => l !== '' && !l.startsWith('WARNING:'));
  assert.deepEqual(lines, [
    `swiftlet: cannot listen on 127.0.0.1:${port}: the port is in use [SWIFTLET_ERR_PORT_IN_USE]`,
  ]);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
});

test('swiftlet serve: listens, serves the API, logs JSON, and exits 0 on SIGTERM and on SIGINT', async (t) => {
  const dir = tempDir(t);
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    const serve = startServe(['--port', '0', '--log-level', 'info'], dir);
    const url = await serve.url;
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
    const health = await call(url, 'GET', '/healthz');
    assert.deepEqual(health.body, { status: 'ok' });
    const session = await call(url, 'POST', '/v1/sessions', {
      body: {},
      headers: { authorization: 'Bearer must-not-be-logged' },
    });
    assert.equal(session.status, 201);
    const turn = await call(url, 'POST', `/v1/sessions/${session.body.id}/turns`, { body: { input: 'hello' } });
    assert.equal(turn.body.outcome, 'final');
    (await serve.child).kill(signal);
    const r = await serve.exit;
    assert.equal(r.code, 0, `${signal}: ${r.stderr}`);
    // The zero-config mock provider is announced loudly.
    assert.match(r.stderr, /WARNING: .*mock LLM/);
    const logs = r.stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { msg: string; level: string });
    assert.ok(logs.some((l) => l.msg === 'listening' && l.level === 'info'));
    assert.ok(logs.some((l) => l.msg === 'shutting down'));
    assert.ok(logs.some((l) => l.msg === 'stopped'));
    assert.ok(!r.stdout.includes('must-not-be-logged'));
  }
});

test('swiftlet serve: host and port from the config, logging.level from the config', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'swiftlet.yaml');
  writeFileSync(
    file,
    [
      'providers: { m: { type: mock } }',
      'agents: { helper: { model: m/mock-1 } }',
      'storage: { driver: memory }',
      'server: { host: 127.0.0.1, port: 0 }',
      'logging: { level: silent }',
    ].join('\n'),
  );
  const serve = startServe(['--config', file], dir);
  const url = await serve.url;
  const agents = await call(url, 'GET', '/v1/agents');
  assert.deepEqual(
    agents.body.agents.map((a: { name: string }) => a.name),
    ['helper'],
  );
  (await serve.child).kill('SIGTERM');
  const r = await serve.exit;
  assert.equal(r.code, 0);
  assert.equal(r.stdout, `swiftlet listening on ${url}\n`, 'a silent log level writes no log lines');
});
