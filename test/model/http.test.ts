import { after, before, beforeEach, describe, test } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { createServer } from 'node:net';
import type { ModelRequest } from '../../src/core/index.js';
import { createModelClient, modelRequestChannel, modelResponseChannel, startMockLlm } from '../../src/model/index.js';
import type { MockLlm, ModelClient, ModelRequestMessage, ModelResponseMessage } from '../../src/model/index.js';
import { parseRetryAfter } from '../../src/model/http-errors.js';
import { retryDelay } from '../../src/model/retry.js';
import { collect, collectFailure, finishOf, mockOptions, textOf } from './support.js';
import type { OptionOverrides } from './support.js';

const TEXT = 'one two three four five six';
const REQUEST: ModelRequest = { model: 'm', messages: [{ role: 'user', content: 'hi' }] };
const signal = new AbortController().signal;

/** A port nothing listens on: bound once, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('model HTTP layer: retries, errors, headers, diagnostics', () => {
  let mock: MockLlm;

  before(async () => {
    mock = await startMockLlm({});
  });
  after(() => mock.close());
  beforeEach(() => {
    mock.reset();
    mock.configure({ firstTokenMs: 0, tokenDelayMs: 0, script: [{ text: TEXT }] });
  });

  function client(t: TestContext, type: 'openai' | 'anthropic', o: OptionOverrides = {}): ModelClient {
    const c = createModelClient(mockOptions(type, mock, o));
    t.after(() => c.close());
    return c;
  }

  test('429 with Retry-After is retried after that delay, even beyond maxDelayMs, then succeeds', async (t) => {
    mock.injectFault({ kind: 'status', status: 429, retryAfterSec: 1 });
    const c = client(t, 'openai', { retries: { max: 2, maxDelayMs: 100 }, timeouts: { totalMs: 30_000 } });
    const events = await collect(c.stream(REQUEST, signal));
    assert.equal(textOf(events), TEXT);
    assert.equal(mock.requestCount, 2);
    const [first, second] = mock.requests;
    assert.equal(first?.status, 429);
    assert.equal(second?.status, 200);
    assert.ok(second!.startedAt - first!.startedAt >= 1000, 'the retry waited for Retry-After');
  });

  test('500, 529 and 503 are retried (Anthropic), then the answer streams', async (t) => {
    mock.injectFault({ kind: 'status', status: 500 }, { kind: 'status', status: 529 }, { kind: 'status', status: 503 });
    const c = client(t, 'anthropic', { retries: { max: 3 } });
    const events = await collect(c.stream(REQUEST, signal));
    assert.equal(textOf(events), TEXT);
    assert.equal(finishOf(events).reason, 'stop');
    assert.deepEqual(
      mock.requests.map((r) => r.status),
      [500, 529, 503, 200],
    );
  });

  test('retries stop at retries.max, with the last HTTP error', async (t) => {
    mock.injectFault({ kind: 'status', status: 502 }, { kind: 'status', status: 502 }, { kind: 'status', status: 502 });
    const c = client(t, 'openai', { retries: { max: 1 } });
    const { error } = await collectFailure(c.stream(REQUEST, signal));
    assert.equal(error.code, 'SWIFTLET_ERR_MODEL_HTTP');
    assert.equal(error.status, 502);
    assert.equal(error.retryable, true);
    assert.equal(mock.requestCount, 2);
  });

  test('400 is not retried; status and body are on the error, the body kept off its message', async (t) => {
    const body = '{"error":{"message":"Invalid value for temperature","type":"invalid_request_error"}}';
    mock.injectFault({ kind: 'status', status: 400, body });
    const c = client(t, 'openai', { retries: { max: 3 } });
    const { events, error } = await collectFailure(c.stream(REQUEST, signal));
    assert.equal(events.length, 0);
    assert.equal(error.code, 'SWIFTLET_ERR_MODEL_HTTP');
    assert.equal(error.status, 400);
    assert.equal(error.body, body);
    assert.equal(error.retryable, false);
    assert.match(error.message, /^[\w-]+: provider error \(HTTP 400\)$/);
    assert.equal(JSON.stringify(error), JSON.stringify({ code: 'SWIFTLET_ERR_MODEL_HTTP', message: error.message }));
    assert.match(error.headers?.['content-type'] ?? '', /json/);
    assert.equal(mock.requestCount, 1);
  });

  test('a Retry-After beyond maxDelayMs and the time budget fails at once, carrying the wait', async (t) => {
    mock.injectFault({ kind: 'status', status: 429, retryAfterSec: 60 });
    const c = client(t, 'openai', { retries: { max: 3, maxDelayMs: 1_000 }, timeouts: { totalMs: 5_000 } });
    const { error } = await collectFailure(c.stream(REQUEST, signal));
    assert.equal(error.code, 'SWIFTLET_ERR_MODEL_HTTP');
    assert.equal(error.status, 429);
    assert.equal(error.retryAfterMs, 60_000);
    assert.equal(mock.requestCount, 1);
  });

  test('a connection dropped before any event is retried', async (t) => {
    mock.injectFault({ kind: 'disconnect', afterTokens: 0 });
    const c = client(t, 'openai');
    const events = await collect(c.stream(REQUEST, signal));
    assert.equal(textOf(events), TEXT);
    assert.equal(mock.requestCount, 2);
  });

  test('a stream that broke after output is never retried; the caller got the output first', async (t) => {
    mock.injectFault({ kind: 'disconnect', afterTokens: 3 });
    const c = client(t, 'openai', { retries: { max: 3 } });
    const { events, error } = await collectFailure(c.stream(REQUEST, signal));
    assert.equal(error.code, 'SWIFTLET_ERR_MODEL_CONNECT');
    assert.equal(error.retryable, false);
    assert.deepEqual(
      events.map((e) => e.type),
      ['text-delta', 'text-delta', 'text-delta'],
    );
    assert.equal(textOf(events), 'one two three ');
    assert.equal(mock.requestCount, 1);
  });

  test('connection refused ends in MODEL_CONNECT after every retry', async (t) => {
    const port = await closedPort();
    const name = 'refused-provider';
    const c = client(t, 'openai', {
      name,
      baseUrl: `http://127.0.0.1:${port}/v1`,
      retries: { max: 2, baseDelayMs: 1 },
    });
    const attempts: ModelResponseMessage[] = [];
    const listen = (m: unknown): void => {
      if ((m as ModelResponseMessage).provider === name) attempts.push(m as ModelResponseMessage);
    };
    modelResponseChannel.subscribe(listen);
    t.after(() => modelResponseChannel.unsubscribe(listen));
    const { error } = await collectFailure(c.stream(REQUEST, signal));
    assert.equal(error.code, 'SWIFTLET_ERR_MODEL_CONNECT');
    assert.equal(error.retryable, true);
    assert.match(error.message, /ECONNREFUSED/);
    assert.deepEqual(
      attempts.map((a) => [a.attempt, a.status, a.error?.code]),
      [
        [0, undefined, 'SWIFTLET_ERR_MODEL_CONNECT'],
        [1, undefined, 'SWIFTLET_ERR_MODEL_CONNECT'],
        [2, undefined, 'SWIFTLET_ERR_MODEL_CONNECT'],
      ],
    );
  });

  test('publishes request and response diagnostics for every attempt', async (t) => {
    const name = 'diagnosed-provider';
    const seen: [string, unknown][] = [];
    const onRequest = (m: unknown): void => {
      if ((m as ModelRequestMessage).provider === name) seen.push(['request', m]);
    };
    const onResponse = (m: unknown): void => {
      if ((m as ModelResponseMessage).provider === name) seen.push(['response', m]);
    };
    modelRequestChannel.subscribe(onRequest);
    modelResponseChannel.subscribe(onResponse);
    t.after(() => {
      modelRequestChannel.unsubscribe(onRequest);
      modelResponseChannel.unsubscribe(onResponse);
    });
    mock.injectFault({ kind: 'status', status: 500 });
    const c = client(t, 'openai', { name });
    await collect(c.stream({ ...REQUEST, model: 'diag-model' }, signal));
    const summary = seen.map(([kind, m]) => {
      const r = m as ModelResponseMessage;
      return [kind, r.model, r.attempt, r.status, r.error?.code, typeof r.durationMs];
    });
    assert.deepEqual(summary, [
      ['request', 'diag-model', 0, undefined, undefined, 'undefined'],
      ['response', 'diag-model', 0, 500, 'SWIFTLET_ERR_MODEL_HTTP', 'number'],
      ['request', 'diag-model', 1, undefined, undefined, 'undefined'],
      ['response', 'diag-model', 1, 200, undefined, 'number'],
    ]);
  });

  test('sends bearer auth, Anthropic key and version, and extra headers', async (t) => {
    const sent: string[] = [];
    const onHeaders = (m: unknown): void => {
      const { headers, socket } = m as { headers: string; socket: { remotePort?: number } };
      if (socket.remotePort === mock.port) sent.push(headers.toLowerCase());
    };
    subscribe('undici:client:sendHeaders', onHeaders);
    t.after(() => unsubscribe('undici:client:sendHeaders', onHeaders));
    const openai = client(t, 'openai', { apiKey: 'sk-test', headers: { 'x-extra': 'yes' } });
    await collect(openai.stream(REQUEST, signal));
    const anthropic = client(t, 'anthropic', { apiKey: 'sk-ant', headers: { 'x-extra': 'too' } });
    await collect(anthropic.stream(REQUEST, signal));
    assert.equal(sent.length, 2);
    assert.match(sent[0]!, /authorization: bearer sk-test\r\n/);
    assert.match(sent[0]!, /x-extra: yes\r\n/);
    assert.match(sent[0]!, /^post \/v1\/chat\/completions http\/1.1/);
    assert.match(sent[1]!, /x-api-key: sk-ant\r\n/);
    assert.match(sent[1]!, /anthropic-version: 2023-06-01\r\n/);
    assert.match(sent[1]!, /x-extra: too\r\n/);
    assert.match(sent[1]!, /^post \/v1\/messages http\/1.1/);
    assert.doesNotMatch(sent[1]!, /authorization:/);
  });

  test('close() destroys the pool: a later call fails as shutting down', async () => {
    const c = createModelClient(mockOptions('openai', mock));
    await collect(c.stream(REQUEST, signal));
    await c.close();
    const { error } = await collectFailure(c.stream(REQUEST, signal));
    assert.equal(error.code, 'SWIFTLET_ERR_SHUTTING_DOWN');
    assert.equal(mock.requestCount, 1);
  });
});

describe('retry arithmetic', () => {
  const retries = { max: 5, baseDelayMs: 100, maxDelayMs: 1_000 };

  test('full jitter draws from [0, min(maxDelay, base * 2^attempt)]', () => {
    assert.equal(
      retryDelay(retries, 0, undefined, 0, () => 0.999),
      99.9,
    );
    assert.equal(
      retryDelay(retries, 2, undefined, 0, () => 0.5),
      200,
    );
    assert.equal(
      retryDelay(retries, 8, undefined, 0, () => 0.5),
      500,
    );
    assert.equal(
      retryDelay(retries, 3, undefined, 0, () => 0),
      0,
    );
  });

  test('Retry-After is honoured as given, within maxDelayMs or the remaining budget', () => {
    assert.equal(retryDelay(retries, 0, 800, 0), 800);
    assert.equal(retryDelay(retries, 0, 3_000, 5_000), 3_000);
    assert.equal(retryDelay(retries, 0, 3_000, 2_000), undefined);
  });

  test('parses Retry-After in seconds, as an HTTP date, and retry-after-ms', () => {
    const now = Date.parse('2025-01-01T00:00:00Z');
    assert.equal(parseRetryAfter({ 'retry-after': '2' }, now), 2_000);
    assert.equal(parseRetryAfter({ 'retry-after': '0.5' }, now), 500);
    assert.equal(parseRetryAfter({ 'retry-after': 'Wed, 01 Jan 2025 00:00:30 GMT' }, now), 30_000);
    assert.equal(parseRetryAfter({ 'retry-after': 'Tue, 31 Dec 2024 23:00:00 GMT' }, now), 0);
    assert.equal(parseRetryAfter({ 'retry-after-ms': '250', 'retry-after': '9' }, now), 250);
    assert.equal(parseRetryAfter({ 'retry-after': 'soon' }, now), undefined);
    assert.equal(parseRetryAfter({}, now), undefined);
  });
});
