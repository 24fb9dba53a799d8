import { after, before, beforeEach, describe, test } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { SwiftletError } from '../../src/core/index.js';
import type { ModelRequest } from '../../src/core/index.js';
import { createModelClient, startMockLlm } from '../../src/model/index.js';
import type { MockLlm, ModelClient } from '../../src/model/index.js';
import { collect, collectFailure, mockOptions, textOf } from './support.js';
import type { OptionOverrides } from './support.js';

const TEXT = 'one two three four five six';
const REQUEST: ModelRequest = { model: 'm', messages: [{ role: 'user', content: 'hi' }] };
const signal = new AbortController().signal;

describe('model HTTP layer: deadlines and cancellation', () => {
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

  test('a model that never answers fails by the first-token timeout, not retried, connection closed', async (t) => {
    mock.injectFault({ kind: 'hang' });
    const c = client(t, 'openai', { timeouts: { firstTokenMs: 300 }, retries: { max: 2 } });
    const { events, error } = await collectFailure(c.stream(REQUEST, signal));
    assert.equal(events.length, 0);
    assert.equal(error.code, 'SWIFTLET_ERR_MODEL_TIMEOUT');
    assert.match(error.message, /first-token timeout: 300 ms/);
    assert.match(error.message, /timeouts\.firstTokenMs/);
    assert.equal(mock.requestCount, 1);
    await mock.waitFor((r) => r.fault === 'hang' && r.clientClosed);
  });

  test('a non-streaming request that never answers fails by the first-token timeout too', async (t) => {
    mock.injectFault({ kind: 'hang' });
    const c = client(t, 'anthropic', { timeouts: { firstTokenMs: 300 } });
    const { error } = await collectFailure(c.stream({ ...REQUEST, stream: false }, signal));
    assert.equal(error.code, 'SWIFTLET_ERR_MODEL_TIMEOUT');
    assert.match(error.message, /first-token timeout: 300 ms/);
  });

  test('a stream that stalls fails by the idle timeout after the tokens it sent', async (t) => {
    mock.injectFault({ kind: 'stall', afterTokens: 2 });
    const c = client(t, 'anthropic', { timeouts: { idleMs: 300 } });
    const { events, error } = await collectFailure(c.stream(REQUEST, signal));
    assert.equal(error.code, 'SWIFTLET_ERR_MODEL_TIMEOUT');
    assert.match(error.message, /idle timeout: 300 ms elapsed \(timeouts\.idleMs\)/);
    assert.equal(textOf(events), 'one two ');
    assert.equal(mock.requestCount, 1);
    await mock.waitFor((r) => r.fault === 'stall' && r.clientClosed);
  });

  test('a stream longer than the total timeout is cut by it', async (t) => {
    mock.configure({ tokenDelayMs: 50, outputTokens: 100, script: [] });
    const c = client(t, 'openai', { timeouts: { totalMs: 400 } });
    const { events, error } = await collectFailure(c.stream(REQUEST, signal));
    assert.equal(error.code, 'SWIFTLET_ERR_MODEL_TIMEOUT');
    assert.match(error.message, /total timeout: 400 ms/);
    assert.ok(events.length > 0, 'tokens streamed before the deadline');
    await mock.waitFor((r) => r.clientClosed);
  });

  test('time the caller spends holding an event does not count as provider silence', async (t) => {
    const c = client(t, 'openai', { timeouts: { idleMs: 100 } });
    const events = [];
    // The whole answer arrives in one chunk; a slow caller must not trip the idle timer between its events.
    for await (const event of c.stream(REQUEST, signal)) {
      events.push(event);
      if (events.length === 1) await sleep(300);
    }
    assert.equal(textOf(events), TEXT);
  });

  test('aborting mid-stream closes the provider connection and throws ABORTED at once', async (t) => {
    mock.injectFault({ kind: 'stall', afterTokens: 3 });
    const c = client(t, 'openai');
    const controller = new AbortController();
    const { events, error } = await collectFailure(c.stream(REQUEST, controller.signal), (event) => {
      if (event.type === 'text-delta') controller.abort();
    });
    assert.equal(error.code, 'SWIFTLET_ERR_ABORTED');
    assert.equal(events.length, 1, 'no event is delivered after the abort');
    await mock.waitFor((r) => r.fault === 'stall' && r.clientClosed);
  });

  test('aborting while waiting for the first token cancels the request', async (t) => {
    mock.injectFault({ kind: 'hang' });
    const c = client(t, 'anthropic');
    const controller = new AbortController();
    const failure = collectFailure(c.stream(REQUEST, controller.signal));
    await mock.waitFor((r) => r.fault === 'hang');
    const reason = new SwiftletError('SWIFTLET_ERR_SHUTTING_DOWN', 'server stopping');
    controller.abort(reason);
    const { error } = await failure;
    assert.equal(error, reason, 'a SwiftletError given as abort reason is thrown as is');
    await mock.waitFor((r) => r.fault === 'hang' && r.clientClosed);
    assert.equal(mock.requestCount, 1);
  });

  test('aborting during a retry wait ends the call without another request', async (t) => {
    mock.injectFault({ kind: 'status', status: 429, retryAfterSec: 30 });
    const c = client(t, 'openai', { retries: { max: 2, maxDelayMs: 60_000 } });
    const controller = new AbortController();
    const failure = collectFailure(c.stream(REQUEST, controller.signal));
    await mock.waitFor((r) => r.status === 429 && r.endedAt !== undefined);
    controller.abort();
    const { error } = await failure;
    assert.equal(error.code, 'SWIFTLET_ERR_ABORTED');
    assert.equal(mock.requestCount, 1);
  });

  test('an already aborted signal sends nothing', async (t) => {
    const c = client(t, 'openai');
    const { error } = await collectFailure(c.stream(REQUEST, AbortSignal.abort()));
    assert.equal(error.code, 'SWIFTLET_ERR_ABORTED');
    assert.equal(mock.requestCount, 0);
  });

  test('a caller that stops iterating early releases the connection', async (t) => {
    mock.injectFault({ kind: 'stall', afterTokens: 2 });
    const c = client(t, 'openai');
    for await (const event of c.stream(REQUEST, signal)) if (event.type === 'text-delta') break;
    await mock.waitFor((r) => r.fault === 'stall' && r.clientClosed);
    // The pool still serves the next call.
    assert.equal(textOf(await collect(c.stream(REQUEST, signal))), TEXT);
  });
});
