import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpApp } from '../../src/gateway/index.js';
import { registerWebSocket } from '../../src/gateway/ws.js';
import { createAuthenticate } from '../../src/gateway/auth.js';
import { startTestGateway } from '../helpers/gateway.js';
import { WsClient, rawUpgrade } from './ws-support.js';

test('a handshake from another site is refused with 403 before any upgrade', async (t) => {
  const { url } = await startTestGateway(t, { server: { allowedOrigins: ['https://app.example'] } });
  for (const origin of ['https://evil.example', 'null', 'https://app.example.evil', 'http://app.example']) {
    const res = await rawUpgrade(url, { origin });
    assert.equal(res.status, 403, origin);
    assert.equal(JSON.parse(res.body).error.code, 'SWIFTLET_ERR_FORBIDDEN');
  }
  // The same request from an allowed origin is upgraded: the refusal above was about the Origin alone.
  assert.equal((await rawUpgrade(url, { origin: 'https://app.example' })).status, 101);
});

test('allowed origins, the server own origin and clients without Origin are accepted', async (t) => {
  const { url } = await startTestGateway(t, { server: { allowedOrigins: ['https://app.example'] } });
  const own = `http://${new URL(url).host}`;
  for (const opts of [{ origin: 'https://app.example' }, { origin: 'https://APP.example:443' }, { origin: own }, {}]) {
    const c = await WsClient.open(url, opts);
    c.send({ type: 'ping' });
    assert.equal((await c.waitFor((f) => f.type === 'pong')).type, 'pong', JSON.stringify(opts));
    c.close();
  }
});

test('with API keys, an unauthenticated handshake gets 401 and an authenticated one is upgraded', async (t) => {
  const { url } = await startTestGateway(t, { keys: { a: 'secret' } });
  const none = await rawUpgrade(url, {});
  assert.equal(none.status, 401);
  assert.equal(JSON.parse(none.body).error.code, 'SWIFTLET_ERR_UNAUTHORIZED');
  assert.equal((await rawUpgrade(url, { authorization: 'Bearer wrong' })).status, 401);
  await assert.rejects(WsClient.open(url), /handshake answered 401/);

  const c = await WsClient.open(url, { headers: { authorization: 'Bearer secret' } });
  c.send({ type: 'turn', id: 1, input: 'hello' });
  assert.equal((await c.turnEnd(1)).event.outcome, 'final');
});

test('heartbeat: a peer that stops answering pings is cut off, a live one stays', async (t) => {
  const { gateway } = await startTestGateway(t);
  // A second endpoint on the same runtime with a short heartbeat (the gateway's own pings every 30 s).
  const app = new HttpApp(gateway.context.log, gateway.context.options.bodyLimitBytes);
  app.setAuthenticate(createAuthenticate(gateway.context.options));
  const endpoint = registerWebSocket(app, gateway.context, { heartbeatMs: 50 });
  const server = createServer(app.handle).on('upgrade', app.handleUpgrade);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(async () => {
    endpoint.close(100);
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const live = await WsClient.open(url);
  const dead = await WsClient.open(url, { autoPong: false });
  let pings = 0;
  const threePings = new Promise<void>((resolve) => live.ws.on('ping', () => ++pings === 3 && resolve()));
  const closed = await dead.closed;
  assert.equal(closed.code, 1006, 'terminated without a closing handshake');
  await threePings;
  assert.equal(live.ws.readyState, live.ws.OPEN);
  assert.equal(endpoint.connections, 1);

  // The endpoint's own close: 1001 to every socket.
  endpoint.close();
  assert.equal((await live.closed).code, 1001);
});
