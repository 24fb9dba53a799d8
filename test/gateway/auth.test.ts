import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { connect, createServer } from 'node:net';
import { randomBytes } from 'node:crypto';
import { request } from 'undici';
import pino from 'pino';
import { SwiftletError } from '../../src/core/index.js';
import { createRuntime } from '../../src/runtime/index.js';
import { DEFAULT_SERVER_OPTIONS, startGateway } from '../../src/gateway/index.js';
import { createAuthenticate, isLoopback, sha256Hex } from '../../src/gateway/auth.js';
import { startTestGateway } from '../helpers/gateway.js';
import { testConfig } from '../helpers/runtime.js';

const KEY = 'alice-key-0123456789abcdef';
const BAD_CREDENTIALS: (string | undefined)[] = [undefined, 'Bearer not-the-key', `Basic ${KEY}`, KEY, 'Bearer'];

async function call(url: string, method: string, path: string, authorization?: string) {
  const body = method === 'GET' || method === 'DELETE' ? undefined : '{}';
  const res = await request(url + path, {
    method: method as 'GET',
    headers: {
      ...(authorization === undefined ? {} : { authorization }),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body }),
  });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, text };
}

/** A WebSocket handshake over a raw socket: the status line and the bytes that came back. */
function upgrade(url: string, path: string, authorization?: string): Promise<{ status: number; raw: string }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    let raw = '';
    const done = () => {
      socket.destroy();
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(raw)?.[1] ?? 0), raw });
    };
    socket.on('error', reject);
    socket.on('data', (chunk: Buffer) => {
      raw += chunk.toString('latin1');
      // A switched protocol never ends by itself; any other answer is closed by the server.
      if (raw.startsWith('HTTP/1.1 101') && raw.includes('\r\n\r\n')) done();
    });
    socket.on('end', done);
    socket.write(
      `GET ${path} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
        `Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\n` +
        (authorization === undefined ? '' : `Authorization: ${authorization}\r\n`) +
        '\r\n',
    );
  });
}

const fill = (path: string) => path.replace(/:[^/]+/g, 'ses_0000000000000000').replace(/\*/g, 'x');
const fakeReq = (authorization?: string) =>
  ({ headers: authorization === undefined ? {} : { authorization } }) as IncomingMessage;

describe('isLoopback', () => {
  test('127.0.0.0/8, ::1 and localhost, in their usual spellings; nothing else', () => {
    for (const h of [
      '127.0.0.1',
      '127.255.0.9',
      '::1',
      '[::1]',
      '0:0:0:0:0:0:0:1',
      '::ffff:127.0.0.1',
      'localhost',
      'LocalHost',
    ]) {
      assert.equal(isLoopback(h), true, h);
    }
    for (const h of [
      '0.0.0.0',
      '::',
      '128.0.0.1',
      '10.0.0.1',
      '::ffff:10.0.0.1',
      'example.com',
      'localhost.example.com',
      '',
    ]) {
      assert.equal(isLoopback(h), false, h);
    }
  });
});

describe('createAuthenticate', () => {
  const options = (keys: { name: string; key: string }[]) => ({
    ...DEFAULT_SERVER_OPTIONS,
    apiKeys: keys.map((k) => ({ name: k.name, sha256: sha256Hex(k.key), tenant: k.name })),
  });

  test('no keys: everyone is let in, with no key', () => {
    assert.deepEqual(createAuthenticate(options([]))(fakeReq()), { key: null, tenant: 'local', admin: false });
  });

  test('finds the right key among several; anything else is UNAUTHORIZED', () => {
    const auth = createAuthenticate(
      options([
        { name: 'a', key: 'key-a' },
        { name: 'b', key: 'key-b' },
        { name: 'c', key: 'key-c' },
      ]),
    );
    for (const name of ['a', 'b', 'c']) {
      const who = auth(fakeReq(`Bearer key-${name}`));
      assert.ok(!SwiftletError.isInstance(who));
      assert.equal(who.key?.name, name);
    }
    assert.equal((auth(fakeReq('bearer   key-b  ')) as { key: { name: string } }).key.name, 'b');
    for (const h of [undefined, 'Bearer key-d', 'Bearer key-a key-b', 'Basic key-a', 'key-a', 'Bearer ']) {
      const who = auth(fakeReq(h));
      assert.ok(SwiftletError.isInstance(who), String(h));
      assert.equal(who.code, 'SWIFTLET_ERR_UNAUTHORIZED');
    }
  });

  test('a malformed hash is refused at start, not on every request', () => {
    assert.throws(
      () => createAuthenticate({ ...DEFAULT_SERVER_OPTIONS, apiKeys: [{ name: 'x', sha256: 'abc', tenant: 'x' }] }),
      (err: unknown) => SwiftletError.isInstance(err) && err.code === 'SWIFTLET_ERR_CONFIG_INVALID',
    );
  });
});

describe('every authenticated route refuses a missing or wrong key', () => {
  test('401 JSON on each route registered, whoever registered it; only health, readiness and the page are open', async (t) => {
    const { url, gateway } = await startTestGateway(t, { keys: { alice: KEY } });
    const bare = await startTestGateway(t, { keys: { alice: KEY }, server: { webPage: false } });
    const routes = gateway.app.routes;
    assert.ok(routes.filter((r) => r.auth).length >= 5, `only ${routes.length} routes registered`);

    const open = (rs: typeof routes) => rs.filter((r) => !r.auth).map((r) => `${r.method} ${r.path}`);
    // Open on purpose, and nothing else: probes for orchestrators, and the API's description (no data in it).
    // A new route without authentication must be added here, knowingly.
    assert.deepEqual(open(bare.gateway.app.routes).sort(), ['GET /healthz', 'GET /openapi.json', 'GET /readyz']);
    const page = open(routes).filter((r) => !open(bare.gateway.app.routes).includes(r));
    assert.ok(page.includes('GET /'), 'the web page is served without a key');
    for (const r of page) {
      assert.match(r, /^GET /);
      const res = await call(url, 'GET', r.slice(4));
      assert.equal(res.status, 200, r);
      assert.doesNotMatch(String(res.headers['content-type']), /json/, `${r} serves a static asset, not data`);
    }

    let upgrades = 0;
    for (const r of routes.filter((x) => x.auth)) {
      const path = fill(r.path);
      const name = `${r.method} ${r.path}`;
      if (r.upgrade) {
        // A plain request to an upgrade endpoint is refused as well (401 before anything else).
        assert.equal((await call(url, r.method, path)).status, 401, name);
        // Registered as an upgrade (WebSocket) endpoint: refused before the handshake.
        upgrades++;
        for (const authorization of BAD_CREDENTIALS) {
          const res = await upgrade(url, path, authorization);
          assert.equal(res.status, 401, `${name} upgrade with ${String(authorization)}:\n${res.raw}`);
        }
        assert.equal((await upgrade(url, path, `Bearer ${KEY}`)).status, 101, `${name} upgrade with the key`);
        continue;
      }
      for (const authorization of BAD_CREDENTIALS) {
        const res = await call(url, r.method, path, authorization);
        assert.equal(res.status, 401, `${name} with ${String(authorization)}: ${res.text}`);
        assert.match(String(res.headers['content-type']), /^application\/json/, name);
        assert.equal(res.headers['www-authenticate'], 'Bearer', name);
        const body = JSON.parse(res.text) as { error: { code: string; message: string } };
        assert.equal(body.error.code, 'SWIFTLET_ERR_UNAUTHORIZED', name);
        assert.doesNotMatch(res.text, new RegExp(KEY), name);
      }
      const ok = await call(url, r.method, path, `Bearer ${KEY}`);
      assert.notEqual(ok.status, 401, `${name} with the right key: ${ok.text}`);
    }
    assert.ok(upgrades >= 1, 'the WebSocket endpoint is among the routes');
  });

  test('/v1/ws: no key or a wrong key gets 401 before any upgrade; the key gets 101', async (t) => {
    const { url } = await startTestGateway(t, { keys: { alice: KEY } });
    for (const authorization of [undefined, 'Bearer nope']) {
      const res = await upgrade(url, '/v1/ws', authorization);
      assert.equal(res.status, 401, res.raw);
      assert.doesNotMatch(res.raw, /^HTTP\/1\.1 101|sec-websocket-accept/im);
      assert.match(res.raw, /"code":"SWIFTLET_ERR_UNAUTHORIZED"/);
    }
    assert.equal((await upgrade(url, '/v1/ws', `Bearer ${KEY}`)).status, 101);
  });
});

describe('binding', () => {
  test('a non-loopback host without API keys is refused before anything listens', async (t) => {
    const runtime = await createRuntime({ config: testConfig({ mockUrl: 'http://127.0.0.1:9' }) });
    t.after(() => runtime.close({ drainMs: 0 }));
    const port = await freePort();
    for (const host of ['0.0.0.0', '::', '192.0.2.10', 'swiftlet.example.com']) {
      await assert.rejects(
        startGateway(runtime, { ...DEFAULT_SERVER_OPTIONS, host, port, apiKeys: [] }, pino({ level: 'silent' })),
        (err: unknown) => {
          assert.ok(SwiftletError.isInstance(err));
          assert.equal(err.code, 'SWIFTLET_ERR_CONFIG_INVALID');
          assert.equal(err.field, 'server.host');
          assert.match(err.message, /SWIFTLET_API_KEYS/);
          return true;
        },
        host,
      );
    }
    await assert.rejects(
      new Promise((resolve, reject) => connect(port, '127.0.0.1').on('connect', resolve).on('error', reject)),
      /ECONNREFUSED/,
    );
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer().listen(0, '0.0.0.0', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}
