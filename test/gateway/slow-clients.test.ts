// Slow and malformed clients: request deadlines (408), oversized heads (431/414), garbage (400) and the connection
// cap, all answered as JSON, while /healthz stays quick and answers that stream (SSE, WebSocket) are never cut.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { get } from 'node:http';
import { connect, type Socket } from 'node:net';
import pino, { type Logger } from 'pino';
import { fitMaxConnections, parseOpenFileLimit } from '../../src/gateway/connections.js';
import { DEFAULT_SERVER_OPTIONS, startGateway } from '../../src/gateway/index.js';
import { SwiftletError } from '../../src/core/index.js';
import { startMockLlm } from '../../src/model/index.js';
import { createRuntime } from '../../src/runtime/index.js';
import { startTestGateway } from '../helpers/gateway.js';
import { testConfig } from '../helpers/runtime.js';
import { call, openSse, waitUntil } from './native-support.js';
import { WsClient } from './ws-support.js';

interface RawReply {
  /** What the server sent before it closed the connection. */
  text: string;
  /** From connected to closed, in ms. */
  openMs: number;
}

interface RawClient {
  socket: Socket;
  reply: Promise<RawReply>;
}

/**
 * A raw TCP client that sends `head` once connected and keeps whatever the server sends until it closes (or until
 * `deadlineMs`, when the client gives up and closes itself).
 */
function rawClient(port: number, head: string, deadlineMs = 10_000): RawClient {
  const socket = connect(port, '127.0.0.1');
  const deadline = setTimeout(() => socket.destroy(), deadlineMs);
  socket.on('close', () => clearTimeout(deadline));
  const reply = new Promise<RawReply>((resolve) => {
    let text = '';
    let connectedAt = Date.now();
    socket.setEncoding('latin1');
    socket.on('connect', () => {
      connectedAt = Date.now();
      socket.write(head);
    });
    socket.on('data', (d: string) => (text += d));
    socket.on('end', () => socket.destroy());
    socket.on('error', () => undefined);
    socket.on('close', () => resolve({ text, openMs: Date.now() - connectedAt }));
  });
  return { socket, reply };
}

/** Status and parsed JSON body of a raw HTTP/1.1 answer. */
function parseReply(text: string): { status: number; json: { error?: { code: string; message: string } } } {
  const split = text.indexOf('\r\n\r\n');
  assert.ok(split > 0, `an HTTP answer, got ${JSON.stringify(text.slice(0, 80))}`);
  const status = Number(/^HTTP\/1\.1 (\d{3}) /.exec(text)?.[1]);
  assert.match(text.slice(0, split), /content-type: application\/json/i);
  return { status, json: JSON.parse(text.slice(split + 4)) as { error?: { code: string; message: string } } };
}

async function rawCall(port: number, head: string): Promise<{ status: number; code: string | undefined }> {
  const { text } = await rawClient(port, head).reply;
  const { status, json } = parseReply(text);
  return { status, code: json.error?.code };
}

/** GET /healthz on a fresh connection every `everyMs` until stopped; keeps the worst latency and any failure. */
function pollHealth(url: string, everyMs: number) {
  const stats = { count: 0, worstMs: 0, failures: [] as string[] };
  let stopped = false;
  let current: Promise<void> = Promise.resolve();
  const once = (): Promise<void> =>
    new Promise((resolve) => {
      const t0 = Date.now();
      const req = get(`${url}/healthz`, { agent: false, timeout: 5000 }, (res) => {
        res.resume();
        res.on('end', () => {
          const ms = Date.now() - t0;
          stats.count++;
          stats.worstMs = Math.max(stats.worstMs, ms);
          if (res.statusCode !== 200) stats.failures.push(`status ${res.statusCode}`);
          resolve();
        });
      });
      req.on('timeout', () => req.destroy(new Error('no answer in 5 s')));
      req.on('error', (err) => {
        stats.failures.push(err.message);
        resolve();
      });
    });
  const loop = async (): Promise<void> => {
    while (!stopped) {
      await once();
      await new Promise((r) => setTimeout(r, everyMs));
    }
  };
  current = loop();
  return {
    stats,
    async stop() {
      stopped = true;
      await current;
    },
  };
}

test('300 slow-header and 100 slow-body connections get 408 JSON and are closed soon after their deadline; /healthz keeps answering', async (t) => {
  const headersTimeoutMs = 1000;
  const requestTimeoutMs = 2000;
  const { url } = await startTestGateway(t, { server: { headersTimeoutMs, requestTimeoutMs } });
  const port = Number(new URL(url).port);
  const health = pollHealth(url, 150);

  // Headers one byte every 300 ms: never complete. A body of 100000 bytes announced, a byte every 500 ms.
  const slowHeads = Array.from({ length: 300 }, () =>
    rawClient(port, 'GET /healthz HTTP/1.1\r\nhost: 127.0.0.1\r\nx-slow: '),
  );
  const slowBodies = Array.from({ length: 100 }, () =>
    rawClient(
      port,
      'POST /v1/sessions HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\n' +
        'content-length: 100000\r\n\r\n{',
    ),
  );
  const drip = (clients: RawClient[], byte: string) => () => {
    for (const c of clients) if (c.socket.writable && !c.socket.connecting) c.socket.write(byte);
  };
  // The deadline plus a second, plus a margin for a loaded 2-core machine.
  const margin = 2000;
  const timers = [setInterval(drip(slowHeads, 'a'), 300), setInterval(drip(slowBodies, ' '), 500)];
  // Past every bound, the test gives up on the server and closes what is left (the checks below then fail).
  const giveUp = setTimeout(
    () => [...slowHeads, ...slowBodies].forEach((c) => c.socket.destroy()),
    requestTimeoutMs + 1000 + margin + 1000,
  );
  timers.push(giveUp);
  let heads: RawReply[];
  let bodies: RawReply[];
  try {
    [heads, bodies] = await Promise.all([
      Promise.all(slowHeads.map((c) => c.reply)),
      Promise.all(slowBodies.map((c) => c.reply)),
    ]);
  } finally {
    for (const timer of timers) clearTimeout(timer);
    await health.stop();
  }

  for (const [replies, timeoutMs, which] of [
    [heads, headersTimeoutMs, 'headers'],
    [bodies, requestTimeoutMs, 'body'],
  ] as const) {
    const slowest = Math.max(...replies.map((r) => r.openMs));
    const quickest = Math.min(...replies.map((r) => r.openMs));
    t.diagnostic(`slow ${which}: closed after ${quickest}-${slowest} ms (timeout ${timeoutMs} ms)`);
    assert.ok(quickest >= timeoutMs - 50, `no ${which} connection closed before its deadline (${quickest} ms)`);
    assert.ok(slowest <= timeoutMs + 1000 + margin, `every ${which} connection closed in time (${slowest} ms)`);
    for (const r of replies) {
      const { status, json } = parseReply(r.text);
      assert.equal(status, 408);
      assert.equal(json.error?.code, 'SWIFTLET_ERR_REQUEST_TIMEOUT');
      assert.match(json.error?.message ?? '', which === 'body' ? /requestTimeoutMs/ : /headersTimeoutMs/);
    }
  }
  t.diagnostic(`/healthz: ${health.stats.count} answers, worst ${health.stats.worstMs} ms`);
  assert.deepEqual(health.stats.failures, []);
  assert.ok(health.stats.count >= 5, `/healthz was polled throughout (${health.stats.count} answers)`);
  assert.ok(health.stats.worstMs < 1000, `/healthz answered in under a second (worst ${health.stats.worstMs} ms)`);
});

test('a 408 goes to a late next request on a keep-alive connection, never after the answer to a late body', async (t) => {
  const { url } = await startTestGateway(t, { server: { headersTimeoutMs: 500, requestTimeoutMs: 1000 } });
  const port = Number(new URL(url).port);

  // One request answered, then the start of another that never ends: the second gets the 408.
  const keepAlive = rawClient(port, 'GET /healthz HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\nGET /healthz HTTP/1.1\r\nx-sl');
  const answers = (await keepAlive.reply).text.split(/(?=HTTP\/1\.1 \d{3} )/);
  assert.deepEqual(
    answers.map((a) => a.slice(0, 12)),
    ['HTTP/1.1 200', 'HTTP/1.1 408'],
  );
  assert.equal(parseReply(answers[1]!).json.error?.code, 'SWIFTLET_ERR_REQUEST_TIMEOUT');

  // Not JSON: answered 415 at once while the announced body is still on its way. At the deadline the connection
  // is closed without a second answer to the same request.
  const early = rawClient(port, 'POST /v1/sessions HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-length: 100000\r\n\r\nx');
  const drip = setInterval(() => early.socket.writable && early.socket.write('x'), 200);
  const reply = await early.reply;
  clearInterval(drip);
  assert.equal(reply.text.match(/HTTP\/1\.1 \d{3} /g)?.join(), 'HTTP/1.1 415 ');
  assert.ok(reply.openMs < 1000 + 1000 + 2000, `closed at the deadline (${reply.openMs} ms)`);
});

test('heads node:http refuses answer JSON: 431 for huge headers, 414 for 10 and 20 KiB URLs, 400 for garbage', async (t) => {
  const { url } = await startTestGateway(t);
  const port = Number(new URL(url).port);
  const host = 'host: 127.0.0.1\r\n';

  const bigHeader = await rawCall(port, `GET /healthz HTTP/1.1\r\n${host}x-big: ${'a'.repeat(20_000)}\r\n\r\n`);
  assert.deepEqual(bigHeader, { status: 431, code: 'SWIFTLET_ERR_HEADERS_TOO_LARGE' });
  const manyHeaders = Array.from({ length: 400 }, (_, i) => `x-h${i}: ${'b'.repeat(50)}\r\n`).join('');
  assert.deepEqual(await rawCall(port, `GET /healthz HTTP/1.1\r\n${host}${manyHeaders}\r\n`), bigHeader);

  const url10k = `/v1/sessions?pad=${'c'.repeat(10 * 1024)}`;
  const url20k = `/v1/sessions?pad=${'c'.repeat(20 * 1024)}`;
  for (const target of [url10k, url20k]) {
    const r = await rawCall(port, `GET ${target} HTTP/1.1\r\n${host}\r\n`);
    assert.deepEqual(r, { status: 414, code: 'SWIFTLET_ERR_URL_TOO_LONG' }, `${target.length} bytes`);
  }
  // The WebSocket handshake has the same limit.
  const upgrade = await rawCall(
    port,
    `GET /v1/ws?pad=${'d'.repeat(10 * 1024)} HTTP/1.1\r\n${host}connection: Upgrade\r\nupgrade: websocket\r\n` +
      `sec-websocket-version: 13\r\nsec-websocket-key: ${Buffer.from('0123456789abcdef').toString('base64')}\r\n\r\n`,
  );
  assert.deepEqual(upgrade, { status: 414, code: 'SWIFTLET_ERR_URL_TOO_LONG' });
  // Just under the limit is routed as usual.
  const under = await call(url, 'GET', `/v1/sessions?pad=${'e'.repeat(8000)}`);
  assert.notEqual(under.status, 414);

  for (const garbage of ['BAD REQUEST LINE\r\n\r\n', 'GET /healthz HTTP/9.9\r\n\r\n', '\x00\x01\x02\r\n\r\n']) {
    const r = await rawCall(port, garbage);
    assert.deepEqual(r, { status: 400, code: 'SWIFTLET_ERR_INVALID_INPUT' }, JSON.stringify(garbage));
  }
  // The server is unharmed.
  assert.equal((await call(url, 'GET', '/healthz')).status, 200);
});

test('server.maxConnections: the connection past it is closed at once, and a freed place is taken again', async (t) => {
  const max = 5;
  const { url, gateway } = await startTestGateway(t, { server: { maxConnections: max } });
  const port = Number(new URL(url).port);
  const open = () =>
    new Promise<Socket>((resolve, reject) => {
      const s = connect(port, '127.0.0.1', () => resolve(s));
      s.once('error', reject);
    });
  const count = () =>
    new Promise<number>((resolve, reject) =>
      gateway.server.getConnections((err, n) => (err ? reject(err) : resolve(n))),
    );
  const held = await Promise.all(Array.from({ length: max }, open));
  t.after(() => held.forEach((s) => s.destroy()));
  await waitUntil(async () => (await count()) === max, `${max} connections on the server`);

  const extra = rawClient(port, 'GET /healthz HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n', 3000);
  const refused = await extra.reply;
  t.diagnostic(`connection ${max + 1} closed after ${refused.openMs} ms`);
  assert.equal(refused.text, '', 'closed without an answer');
  assert.ok(refused.openMs < 1000, `closed at once (${refused.openMs} ms)`);
  assert.equal(await count(), max);

  held.pop()!.destroy();
  await waitUntil(async () => (await count()) < max, 'a place to free up');
  assert.equal((await call(url, 'GET', '/healthz')).status, 200);
});

test('an SSE turn stream and an open WebSocket outlive server.requestTimeoutMs', async (t) => {
  const requestTimeoutMs = 600;
  const { url } = await startTestGateway(t, {
    server: { headersTimeoutMs: 300, requestTimeoutMs },
    // About 2 s of answer, three times the request deadline.
    mock: { outputTokens: 40, tokenDelayMs: 50 },
  });
  const started = Date.now();
  const ws = await WsClient.open(url);
  const id = (await call(url, 'POST', '/v1/sessions', { body: {} })).body.id as string;
  const sse = await openSse(url, 'POST', `/v1/sessions/${id}/turns`, { body: { input: 'a long story' } });
  assert.equal(sse.status, 200);
  ws.send({ type: 'turn', id: 'w', sessionId: 'slow-clients-ws', input: 'a long story' });

  const [events, wsEnd] = await Promise.all([sse.read((e) => e.event === 'turn-end'), ws.turnEnd('w', 30_000)]);
  const elapsed = Date.now() - started;
  t.diagnostic(`both turns streamed for ${elapsed} ms (requestTimeoutMs ${requestTimeoutMs})`);
  assert.ok(elapsed > 2 * requestTimeoutMs, `the answers lasted past the deadline (${elapsed} ms)`);
  assert.equal(events.at(-1)?.data.outcome, 'final');
  assert.equal(wsEnd.event.outcome, 'final');

  // The WebSocket is still open and serves another turn.
  ws.send({ type: 'turn', id: 'w2', sessionId: 'slow-clients-ws', input: 'again' });
  assert.equal((await ws.turnEnd('w2', 30_000)).event.outcome, 'final');
  ws.close();
  await ws.closed;
});

test('parseOpenFileLimit reads the soft "Max open files" limit of /proc/self/limits', () => {
  const sample = [
    'Limit                     Soft Limit           Hard Limit           Units     ',
    'Max cpu time              unlimited            unlimited            seconds   ',
    'Max processes             96362                96362                processes ',
    'Max open files            1024                 524288               files     ',
    'Max locked memory         8388608              8388608              bytes     ',
  ].join('\n');
  assert.equal(parseOpenFileLimit(sample), 1024);
  assert.equal(parseOpenFileLimit(sample.replace('1024 ', 'unlimited ')), Infinity);
  assert.equal(parseOpenFileLimit('Limit   Soft Limit\nMax processes  10  10  processes\n'), undefined);
});

test('fitMaxConnections: fits pass, the default is lowered with a warning, a configured value over the limit is refused', () => {
  const warnings: string[] = [];
  const log = { warn: (_obj: unknown, msg: string) => warnings.push(msg) } as unknown as Logger;
  const def = DEFAULT_SERVER_OPTIONS.maxConnections;

  assert.equal(fitMaxConnections(500, 1024, log), 500);
  assert.equal(fitMaxConnections(def, undefined, log), def, 'no limit known: as configured');
  assert.equal(fitMaxConnections(def, Infinity, log), def);
  assert.deepEqual(warnings, []);

  assert.equal(fitMaxConnections(def, 1024, log), 1024 - 64);
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!, /lowered .* to 960 .*ulimit -n/);

  assert.throws(
    () => fitMaxConnections(5000, 1024, log),
    (err: unknown) =>
      SwiftletError.isInstance(err) &&
      err.code === 'SWIFTLET_ERR_CONFIG_INVALID' &&
      err.field === 'server.maxConnections' &&
      /open-file limit is 1024/.test(err.message) &&
      /at most 960/.test(err.message) &&
      /ulimit -n/.test(err.message),
  );
  assert.throws(() => fitMaxConnections(def, 32, log), /ulimit -n/, 'nothing fits: refused even for the default');
});

test(
  'start-up refuses a configured server.maxConnections over the open-file limit',
  { skip: process.platform !== 'linux' },
  async () => {
    const mock = await startMockLlm({});
    const runtime = await createRuntime({ config: testConfig({ mockUrl: mock.url }) });
    try {
      await assert.rejects(
        startGateway(
          runtime,
          { ...DEFAULT_SERVER_OPTIONS, port: 0, maxConnections: 100_000_000 },
          pino({ level: 'silent' }),
        ),
        (err: unknown) => SwiftletError.isInstance(err) && err.field === 'server.maxConnections',
      );
    } finally {
      await runtime.close();
      await mock.close();
    }
  },
);
