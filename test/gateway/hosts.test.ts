// DNS rebinding: a page on a domain re-pointed at 127.0.0.1 sends `Host: attacker.example`. A server without keys
// answers such requests, and WebSocket handshakes, with 421 JSON; the loopback names, IP literals and
// server.allowedHosts go through.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { createHostCheck, hostName } from '../../src/gateway/hosts.js';
import { startTestGateway } from '../helpers/gateway.js';
import { rawUpgrade } from './ws-support.js';

interface Reply {
  status: number;
  body: string;
}

/** A request with exactly this Host header (fetch and undici set their own). */
function withHost(base: string, method: string, path: string, host: string, body?: unknown): Promise<Reply> {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const text = body === undefined ? undefined : JSON.stringify(body);
    const req = request({
      host: u.hostname,
      port: u.port,
      method,
      path,
      headers: {
        host,
        origin: `http://${host}`,
        ...(text === undefined
          ? {}
          : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }),
      },
    });
    req.on('response', (res) => {
      let data = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (data += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: data }));
    });
    req.on('error', reject);
    req.end(text);
  });
}

test('hostName: ports, IPv6 brackets, case and a trailing dot; malformed headers have none', () => {
  assert.equal(hostName('Example.COM:8080'), 'example.com');
  assert.equal(hostName('example.com.'), 'example.com');
  assert.equal(hostName('[::1]:8080'), '::1');
  assert.equal(hostName('[::1]'), '::1');
  assert.equal(hostName('127.0.0.1:80'), '127.0.0.1');
  for (const bad of ['', ':80', 'a.example:port', '[::1', '[::1]x', 'a:b:c'])
    assert.equal(hostName(bad), undefined, bad);
});

test('createHostCheck: loopback names, IP literals and the allow list; keys without a list check nothing', () => {
  const keyless = createHostCheck({ apiKeys: [], allowedHosts: ['agents.lan', '*.example.com'] })!;
  for (const ok of ['localhost:8080', 'app.localhost', '127.0.0.1:8080', '[::1]:8080', '10.0.0.5', 'AGENTS.lan:80']) {
    assert.equal(keyless(ok), true, ok);
  }
  assert.equal(keyless('a.example.com'), true);
  assert.equal(keyless('deep.a.example.com:443'), true);
  for (const no of [
    'example.com',
    'attacker.example:8080',
    'agents.lan.attacker.example',
    'localhost.attacker.example',
  ]) {
    assert.equal(keyless(no), false, no);
  }
  assert.equal(keyless(undefined), true, 'no Host: not a browser');
  assert.equal(createHostCheck({ apiKeys: [{}], allowedHosts: [] }), undefined);
  assert.equal(createHostCheck({ apiKeys: [{}], allowedHosts: ['agents.lan'] })!('attacker.example'), false);
});

test('a keyless server answers a rebound Host with 421 on every route and on the WebSocket handshake', async (t) => {
  const { url } = await startTestGateway(t, { server: { allowedHosts: ['agents.lan'] } });
  const port = new URL(url).port;
  const evil = `attacker.example:${port}`;
  const paths: [string, string, unknown?][] = [
    ['POST', '/v1/sessions', {}],
    ['GET', '/v1/sessions'],
    ['GET', '/healthz'],
    ['GET', '/'],
    ['GET', '/no/such/route'],
    ['POST', '/v1/chat/completions', { model: 'assistant', messages: [{ role: 'user', content: 'hi' }] }],
  ];
  for (const [method, path, body] of paths) {
    const r = await withHost(url, method, path, evil, body);
    assert.equal(r.status, 421, `${method} ${path}`);
    const json = JSON.parse(r.body) as { error: { code: string; message: string } };
    assert.equal(json.error.code, 'SWIFTLET_ERR_HOST_NOT_ALLOWED', `${method} ${path}`);
    assert.match(json.error.message, /server\.allowedHosts/);
  }
  const ws = await rawUpgrade(url, { host: evil, origin: `http://${evil}` });
  assert.equal(ws.status, 421);
  assert.equal(JSON.parse(ws.body).error.code, 'SWIFTLET_ERR_HOST_NOT_ALLOWED');
  // Nothing was created by the refused requests.
  const listed = await withHost(url, 'GET', '/v1/sessions', `localhost:${port}`);
  assert.deepEqual(JSON.parse(listed.body).sessions, []);

  for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `agents.lan:${port}`]) {
    assert.equal((await withHost(url, 'POST', '/v1/sessions', host, {})).status, 201, host);
    assert.equal((await rawUpgrade(url, { host, origin: `http://${host}` })).status, 101, host);
  }
  assert.equal((await withHost(url, 'GET', '/healthz', `[::1]:${port}`)).status, 200);
});

test('with API keys the Host is not checked unless server.allowedHosts is set', async (t) => {
  const open = await startTestGateway(t, { keys: { k: 'key-0123456789abcdef' } });
  const r = await withHost(open.url, 'GET', '/healthz', 'agents.example.com');
  assert.equal(r.status, 200);
  const listed = await startTestGateway(t, {
    keys: { k: 'key-0123456789abcdef' },
    server: { allowedHosts: ['*.example.com'] },
  });
  assert.equal((await withHost(listed.url, 'GET', '/healthz', 'agents.example.com')).status, 200);
  assert.equal((await withHost(listed.url, 'GET', '/healthz', 'attacker.example')).status, 421);
});
