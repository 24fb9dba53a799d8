// The mock LLM's faults, pacing, request log and control API, observed from a client over real HTTP.
import { test, describe, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { startMockLlm, type MockLlm } from '../../src/model/mock/index.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- provider payloads are checked field by field below
type Json = any;

/** Reads an SSE body incrementally, the way a streaming client does. */
class SseReader {
  readonly events: Json[] = [];
  #buffer = '';
  readonly #decoder = new TextDecoder();
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;

  constructor(res: Response) {
    assert.ok(res.body);
    this.#reader = res.body.getReader();
  }

  /** Reads one chunk; false at the end of the stream. */
  async next(): Promise<boolean> {
    const { done, value } = await this.#reader.read();
    if (done) return false;
    this.#buffer += this.#decoder.decode(value, { stream: true });
    let end: number;
    while ((end = this.#buffer.indexOf('\n\n')) !== -1) {
      const block = this.#buffer.slice(0, end);
      this.#buffer = this.#buffer.slice(end + 2);
      const data = block.split('\n').find((l) => l.startsWith('data: '));
      if (data !== undefined) this.events.push(data === 'data: [DONE]' ? '[DONE]' : JSON.parse(data.slice(6)));
    }
    return true;
  }

  async until(enough: (events: Json[]) => boolean): Promise<void> {
    while (!enough(this.events)) {
      if (!(await this.next())) throw new Error(`stream ended after ${this.events.length} events`);
    }
  }
}

type Format = 'chat' | 'responses' | 'anthropic';
const PATHS: Record<Format, string> = {
  chat: '/v1/chat/completions',
  responses: '/v1/responses',
  anthropic: '/v1/messages',
};

function requestBody(format: Format, stream: boolean, text = 'tell me something'): Json {
  if (format === 'chat') return { model: 'm', stream, messages: [{ role: 'user', content: text }] };
  if (format === 'responses') return { model: 'm', stream, input: text };
  return { model: 'm', stream, max_tokens: 100, messages: [{ role: 'user', content: text }] };
}

/** Text deltas among parsed stream events, whatever the format. */
function textDeltas(events: Json[]): string[] {
  const out: string[] = [];
  for (const e of events) {
    if (e === '[DONE]') continue;
    const text = e.choices?.[0]?.delta?.content ?? (e.type === 'response.output_text.delta' ? e.delta : e.delta?.text);
    if (typeof text === 'string' && text !== '') out.push(text);
  }
  return out;
}

function isTerminal(e: Json): boolean {
  return e === '[DONE]' || e.type === 'response.completed' || e.type === 'message_stop';
}

describe('mock LLM faults and control', () => {
  let mock: MockLlm;
  before(async () => {
    mock = await startMockLlm();
  });
  after(async () => {
    await mock.close();
  });
  beforeEach(() => {
    mock.reset();
    mock.configure({ script: [], outputTokens: 12, firstTokenMs: 0, tokenDelayMs: 0 });
  });

  function send(format: Format, stream: boolean, init: RequestInit = {}): Promise<Response> {
    return fetch(`${mock.url}${PATHS[format]}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(requestBody(format, stream)),
      ...init,
    });
  }

  test('status faults: 429 with Retry-After in each provider shape, custom bodies, taken in order', async () => {
    mock.injectFault(
      { kind: 'status', status: 429, retryAfterSec: 7 },
      { kind: 'status', status: 429, retryAfterSec: 2 },
      { kind: 'status', status: 500, body: '{"error":"custom"}' },
    );
    const openai = await send('chat', true);
    assert.equal(openai.status, 429);
    assert.equal(openai.headers.get('retry-after'), '7');
    const body: Json = await openai.json();
    assert.equal(body.error.code, 'rate_limit_exceeded');
    assert.equal(typeof body.error.message, 'string');

    const claude = await send('anthropic', false);
    assert.equal(claude.status, 429);
    assert.equal(claude.headers.get('retry-after'), '2');
    const err: Json = await claude.json();
    assert.equal(err.type, 'error');
    assert.equal(err.error.type, 'rate_limit_error');

    const custom = await send('responses', false);
    assert.equal(custom.status, 500);
    assert.equal(custom.headers.get('retry-after'), null);
    assert.equal(await custom.text(), '{"error":"custom"}');

    const ok = await send('chat', false);
    assert.equal(ok.status, 200);
    await ok.arrayBuffer();
    assert.deepEqual(
      mock.requests.map((r) => [r.status, r.fault]),
      [
        [429, 'status'],
        [429, 'status'],
        [500, 'status'],
        [200, undefined],
      ],
    );
    assert.equal(mock.requestCount, 4);
  });

  test('a request rejected with 400 does not take a fault', async () => {
    mock.injectFault({ kind: 'status', status: 503 });
    const bad = await fetch(`${mock.url}/v1/chat/completions`, { method: 'POST', body: '{' });
    assert.equal(bad.status, 400);
    await bad.arrayBuffer();
    const next = await send('chat', false);
    assert.equal(next.status, 503);
    await next.arrayBuffer();
  });

  test('hang: the request is accepted and never answered; the record ends when the client gives up', async () => {
    for (const stream of [false, true]) {
      mock.injectFault({ kind: 'hang' });
      const abort = new AbortController();
      const pending = send('anthropic', stream, { signal: abort.signal });
      const rec = await mock.waitFor((r) => r.fault === 'hang' && r.stream === stream);
      assert.equal(rec.status, undefined);
      assert.equal(rec.endedAt, undefined);
      abort.abort();
      await assert.rejects(pending, { name: 'AbortError' });
      const closed = await mock.waitFor((r) => r.id === rec.id && r.clientClosed);
      assert.equal(closed.status, undefined, 'no answer was ever started');
      assert.ok(closed.endedAt !== undefined);
    }
  });

  for (const format of ['chat', 'responses', 'anthropic'] as const) {
    test(`stall (${format}): the head and N tokens arrive, then silence until the client leaves`, async () => {
      mock.injectFault({ kind: 'stall', afterTokens: 3 });
      const abort = new AbortController();
      const res = await send(format, true, { signal: abort.signal });
      assert.equal(res.status, 200);
      const sse = new SseReader(res);
      await sse.until((events) => textDeltas(events).length >= 3);
      let more = false;
      const next = sse.next().then(
        (got) => (more = got),
        () => undefined,
      );
      // Another full answer goes through meanwhile: the server is alive, the stalled stream stays silent.
      const other = await send(format, false);
      assert.equal(other.status, 200);
      await other.arrayBuffer();
      assert.equal(more, false, 'nothing after the stall');
      assert.equal(textDeltas(sse.events).length, 3);
      assert.ok(!sse.events.some(isTerminal));
      const rec = mock.requests.find((r) => r.fault === 'stall');
      assert.equal(rec?.status, 200);
      assert.equal(rec?.endedAt, undefined);
      abort.abort();
      await next;
      const closed = await mock.waitFor((r) => r.fault === 'stall' && r.clientClosed);
      assert.ok(closed.endedAt !== undefined);
    });

    test(`disconnect (${format}): N tokens arrive, then the connection drops`, async () => {
      mock.injectFault({ kind: 'disconnect', afterTokens: 2 });
      const res = await send(format, true);
      assert.equal(res.status, 200);
      const sse = new SseReader(res);
      await assert.rejects(sse.until(() => false));
      assert.deepEqual(textDeltas(sse.events), ['Mock ', 'reply ']);
      assert.ok(!sse.events.some(isTerminal));
      const rec = await mock.waitFor((r) => r.fault === 'disconnect' && r.endedAt !== undefined);
      assert.equal(rec.clientClosed, false, 'the server closed it');
    });
  }

  test('stall and disconnect on a non-stream request: headers, part of the body, then silence or a drop', async () => {
    mock.injectFault({ kind: 'disconnect', afterTokens: 0 }, { kind: 'stall', afterTokens: 0 });
    const dropped = await send('chat', false);
    assert.equal(dropped.status, 200);
    await assert.rejects(dropped.text());
    const abort = new AbortController();
    const stalled = await send('chat', false, { signal: abort.signal });
    assert.equal(stalled.status, 200);
    const rec = await mock.waitFor((r) => r.fault === 'stall');
    assert.equal(rec.endedAt, undefined);
    abort.abort();
    await mock.waitFor((r) => r.fault === 'stall' && r.clientClosed);
  });

  test('a stall or disconnect past the text stops before the tool calls and the finish', async () => {
    mock.configure({ script: [{ text: 'two words', toolCalls: [{ name: 'weather', arguments: { city: 'Oslo' } }] }] });
    mock.injectFault({ kind: 'disconnect', afterTokens: 50 });
    const res = await fetch(`${mock.url}/v1/chat/completions`, {
      method: 'POST',
      body: JSON.stringify({
        model: 'm',
        stream: true,
        messages: [{ role: 'user', content: 'x' }],
        tools: [{ type: 'function', function: { name: 'weather' } }],
      }),
    });
    const sse = new SseReader(res);
    await assert.rejects(sse.until(() => false));
    assert.deepEqual(textDeltas(sse.events), ['two ', 'words']);
    assert.ok(!sse.events.some((e) => e !== '[DONE]' && e.choices[0]?.delta?.tool_calls !== undefined));
  });

  test('a client aborting a paced stream is recorded as clientClosed', async () => {
    mock.configure({ tokenDelayMs: 5, outputTokens: 2000 });
    const abort = new AbortController();
    const res = await send('chat', true, { signal: abort.signal });
    const sse = new SseReader(res);
    await sse.until((events) => textDeltas(events).length >= 3);
    abort.abort();
    const rec = await mock.waitFor((r) => r.clientClosed);
    assert.equal(rec.status, 200);
    assert.equal(rec.format, 'openai-chat');
    assert.ok(rec.endedAt !== undefined);
  });

  test('delays change the timing, never the bytes', async () => {
    const answers = async (): Promise<string[]> => {
      mock.reset(); // the same request ids, hence the same ids in the answers
      const out: string[] = [];
      for (const f of ['chat', 'responses', 'anthropic'] as const) {
        for (const stream of [true, false]) out.push(await (await send(f, stream)).text());
      }
      return out;
    };
    const plain = await answers();
    mock.configure({ firstTokenMs: 15, tokenDelayMs: 2 });
    const paced = await answers();
    assert.deepEqual(paced, plain);
    assert.ok(mock.requests.every((r) => r.status === 200 && r.endedAt !== undefined && !r.clientClosed));
  });

  test('waitFor: an existing record, a future one, a timeout, a throwing predicate', async () => {
    await (await send('chat', false)).arrayBuffer();
    const existing = await mock.waitFor((r) => r.format === 'openai-chat');
    assert.equal(existing.id, 1);
    const future = mock.waitFor((r) => r.format === 'embeddings' && r.status === 200);
    const res = await fetch(`${mock.url}/v1/embeddings`, {
      method: 'POST',
      body: JSON.stringify({ model: 'e', input: 'x' }),
    });
    await res.arrayBuffer();
    assert.equal((await future).id, 2);
    await assert.rejects(
      mock.waitFor(() => false, 30),
      /no matching request within 30 ms/,
    );
    await assert.rejects(
      mock.waitFor(() => {
        throw new Error('bad predicate');
      }),
      /bad predicate/,
    );
  });

  test('control API: requests, config, faults, reset; errors name the field', async () => {
    const call = async (method: string, path: string, body?: unknown): Promise<{ status: number; json: Json }> => {
      const res = await fetch(`${mock.url}${path}`, {
        method,
        ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
      });
      return { status: res.status, json: await res.json() };
    };
    assert.deepEqual(
      (await call('POST', '/_mock/config', { script: [{ text: 'from control' }], outputTokens: 3 })).json,
      { ok: true },
    );
    assert.deepEqual((await call('POST', '/_mock/faults', [{ kind: 'status', status: 503, retryAfterSec: 1 }])).json, {
      ok: true,
      queued: 1,
    });
    const failed = await send('chat', false);
    assert.equal(failed.status, 503);
    assert.equal(failed.headers.get('retry-after'), '1');
    await failed.arrayBuffer();
    const ok: Json = await (await send('chat', false)).json();
    assert.equal(ok.choices[0].message.content, 'from control');

    const log = await call('GET', '/_mock/requests');
    assert.equal(log.status, 200);
    assert.equal(log.json.count, 2);
    assert.equal(log.json.faults, 0);
    assert.deepEqual(
      log.json.requests.map((r: Json) => [r.id, r.status, r.fault ?? null]),
      [
        [1, 503, 'status'],
        [2, 200, null],
      ],
    );

    const badKnob = await call('POST', '/_mock/config', { outputTokens: -1 });
    assert.equal(badKnob.status, 400);
    assert.equal(badKnob.json.error.code, 'SWIFTLET_ERR_INVALID_INPUT');
    assert.equal(badKnob.json.error.field, 'config.outputTokens');
    assert.equal((await call('POST', '/_mock/config', { nope: 1 })).json.error.field, 'config.nope');
    assert.equal((await call('POST', '/_mock/faults', [{ kind: 'boom' }])).json.error.field, 'faults[0].kind');
    assert.equal((await call('POST', '/_mock/faults', 'not json')).status, 400);
    assert.equal((await call('GET', '/_mock/nothing')).status, 404);

    for (let i = 0; i < 105; i++) await (await fetch(`${mock.url}/v1/models`)).arrayBuffer();
    const recent = await call('GET', '/_mock/requests');
    assert.equal(recent.json.requests.length, 100);
    assert.equal(recent.json.requests.at(-1).id, 107);

    assert.deepEqual((await call('POST', '/_mock/reset')).json, { ok: true });
    const cleared = await call('GET', '/_mock/requests');
    assert.deepEqual(cleared.json, { count: 0, faults: 0, requests: [] });
    assert.equal(mock.requests.length, 0, 'control calls are not logged');
  });

  test('configure and injectFault reject bad values with the field', () => {
    assert.throws(() => mock.configure({ tokenDelayMs: 1.5 }), {
      code: 'SWIFTLET_ERR_INVALID_INPUT',
      field: 'options.tokenDelayMs',
    });
    assert.throws(() => mock.configure({ script: [{ toolCalls: [{ name: '', arguments: {} }] }] }), {
      field: 'options.script[0].toolCalls[0]',
    });
    assert.throws(() => mock.injectFault({ kind: 'stall', afterTokens: -1 }), { field: 'faults[0].afterTokens' });
  });

  test('the log keeps the last 10,000 requests', async () => {
    const total = 10_005;
    const socket = connect(mock.port, '127.0.0.1');
    socket.resume(); // drain the pipelined answers
    socket.write('GET /v1/models HTTP/1.1\r\nhost: mock\r\n\r\n'.repeat(total));
    await mock.waitFor((r) => r.id === total && r.endedAt !== undefined, 60_000);
    socket.destroy();
    assert.equal(mock.requests.length, 10_000);
    assert.equal(mock.requests[0]?.id, total - 9_999);
  });
});

test('close() ends open connections, even a hanging request', async () => {
  const mock = await startMockLlm({ faults: [{ kind: 'hang' }] });
  const pending = fetch(`${mock.url}/v1/chat/completions`, {
    method: 'POST',
    body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'x' }] }),
  });
  await mock.waitFor((r) => r.fault === 'hang');
  const waiting = assert.rejects(
    mock.waitFor(() => false, 60_000),
    /closed/,
  );
  await mock.close();
  await assert.rejects(pending);
  await waiting;
});
