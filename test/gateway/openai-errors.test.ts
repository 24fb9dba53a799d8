import { test } from 'node:test';
import assert from 'node:assert/strict';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import OpenAI from 'openai';
import { request } from 'undici';
import { startTestGateway } from '../helpers/gateway.js';
import type { TurnEndEvent } from '../../src/core/index.js';

function client(url: string, apiKey = 'k'): OpenAI {
  return new OpenAI({ baseURL: url + '/v1', apiKey, maxRetries: 0 });
}

const user = (content: string) => [{ role: 'user' as const, content }];

/** Resolves with the next turn end of this session published on `swiftlet:turn:end`, or rejects after a deadline. */
function nextTurnEnd(sessionId: string, timeoutMs = 10_000): Promise<TurnEndEvent> {
  return new Promise((resolve, reject) => {
    const onEnd = (msg: unknown): void => {
      if ((msg as TurnEndEvent).sessionId !== sessionId) return;
      done();
      resolve(msg as TurnEndEvent);
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`no turn end for ${sessionId} within ${timeoutMs} ms`));
    }, timeoutMs);
    const done = (): void => {
      clearTimeout(timer);
      unsubscribe('swiftlet:turn:end', onEnd);
    };
    subscribe('swiftlet:turn:end', onEnd);
  });
}

async function rejectsWith(
  p: Promise<unknown>,
  type: abstract new (...args: never[]) => InstanceType<typeof OpenAI.APIError>,
  check: (e: InstanceType<typeof OpenAI.APIError>) => void,
) {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof type, `expected ${type.name}, got ${String(err)}`);
    check(err);
    return true;
  });
}

test('an unknown model is a NotFoundError in OpenAI error shape', async (t) => {
  const { url } = await startTestGateway(t);
  const c = client(url);
  await rejectsWith(c.chat.completions.create({ model: 'nope', messages: user('hi') }), OpenAI.NotFoundError, (e) => {
    assert.equal(e.status, 404);
    assert.equal(e.code, 'SWIFTLET_ERR_AGENT_NOT_FOUND');
    assert.equal(e.param, 'model');
    assert.equal(e.type, 'invalid_request_error');
  });
  await rejectsWith(c.responses.create({ model: 'nope', input: 'hi' }), OpenAI.NotFoundError, (e) => {
    assert.equal(e.param, 'model');
  });
  await rejectsWith(c.models.retrieve('nope'), OpenAI.NotFoundError, (e) => assert.equal(e.param, 'model'));
});

test('bad bodies are BadRequestErrors naming the field', async (t) => {
  const { url } = await startTestGateway(t);
  const c = client(url);
  const cases: [unknown, string][] = [
    [{ model: 'assistant' }, 'messages'],
    [{ model: 'assistant', messages: [] }, 'messages'],
    [{ messages: user('hi') }, 'model'],
    [
      {
        model: 'assistant',
        messages: [
          { role: 'user', content: 'a' },
          { role: 'assistant', content: 'b' },
        ],
      },
      'messages[1].role',
    ],
    [{ model: 'assistant', messages: [{ role: 'wizard', content: 'a' }, ...user('b')] }, 'messages[0].role'],
    [{ model: 'assistant', messages: user('') }, 'messages[0].content'],
    [
      { model: 'assistant', messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'x' } }] }] },
      'messages[0].content[0].type',
    ],
    [{ model: 'assistant', messages: user('hi'), tools: [{ type: 'function', function: { name: 'f' } }] }, 'tools'],
    [{ model: 'assistant', messages: user('hi'), n: 2 }, 'n'],
    [{ model: 'assistant', messages: user('hi'), stream: 'yes' }, 'stream'],
  ];
  for (const [body, param] of cases) {
    await rejectsWith(
      c.chat.completions.create(body as OpenAI.ChatCompletionCreateParamsNonStreaming),
      OpenAI.BadRequestError,
      (e) => {
        assert.equal(e.param, param, JSON.stringify(body));
        assert.equal(e.code, 'SWIFTLET_ERR_INVALID_INPUT');
      },
    );
  }
  const raw = await request(url + '/v1/chat/completions', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{"model":',
  });
  assert.equal(raw.statusCode, 400);
  const body = (await raw.body.json()) as { error: { type: string; param: string; code: string; message: string } };
  assert.equal(body.error.type, 'invalid_request_error');
  assert.equal(body.error.param, 'body');
});

test('with API keys: a wrong key is an AuthenticationError, a key limited to other agents a PermissionDeniedError', async (t) => {
  const { url } = await startTestGateway(t, {
    keys: { good: 'sk-good', limited: { key: 'sk-limited', agents: ['other'] } },
  });
  await rejectsWith(
    client(url, 'sk-wrong').chat.completions.create({ model: 'assistant', messages: user('hi') }),
    OpenAI.AuthenticationError,
    (e) => {
      assert.equal(e.status, 401);
      assert.equal(e.code, 'SWIFTLET_ERR_UNAUTHORIZED');
    },
  );
  await rejectsWith(client(url, 'sk-wrong').models.list(), OpenAI.AuthenticationError, () => undefined);
  await rejectsWith(
    client(url, 'sk-limited').chat.completions.create({ model: 'assistant', messages: user('hi') }),
    OpenAI.PermissionDeniedError,
    (e) => assert.equal(e.code, 'SWIFTLET_ERR_FORBIDDEN'),
  );
  const ok = await client(url, 'sk-good').chat.completions.create({ model: 'assistant', messages: user('hi') });
  assert.equal(ok.choices[0]!.finish_reason, 'stop');
});

test('a failed turn is an APIError with the Swiftlet code and status, streaming or not', async (t) => {
  const { url, mock } = await startTestGateway(t);
  const c = client(url);
  mock.injectFault({ kind: 'status', status: 500 });
  await rejectsWith(
    c.chat.completions.create({ model: 'assistant', messages: user('hi') }),
    OpenAI.InternalServerError,
    (e) => {
      assert.equal(e.status, 502);
      assert.equal(e.code, 'SWIFTLET_ERR_MODEL_HTTP');
      assert.equal(e.type, 'server_error');
    },
  );
  // Nothing was said before the failure: a streaming request gets the same HTTP error.
  mock.injectFault({ kind: 'status', status: 500 });
  await rejectsWith(
    c.chat.completions.create({ model: 'assistant', messages: user('hi'), stream: true }),
    OpenAI.InternalServerError,
    (e) => assert.equal(e.code, 'SWIFTLET_ERR_MODEL_HTTP'),
  );
  mock.injectFault({ kind: 'status', status: 500 });
  await rejectsWith(c.responses.create({ model: 'assistant', input: 'hi' }), OpenAI.InternalServerError, (e) => {
    assert.equal(e.code, 'SWIFTLET_ERR_MODEL_HTTP');
  });
});

test('a failure after the stream began arrives as an error object, then [DONE]', async (t) => {
  const { url, mock } = await startTestGateway(t, { mock: { outputTokens: 20 } });
  mock.injectFault({ kind: 'disconnect', afterTokens: 3 });
  const stream = await client(url).chat.completions.create({ model: 'assistant', messages: user('hi'), stream: true });
  let text = '';
  await rejectsWith(
    (async () => {
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    })(),
    OpenAI.APIError,
    (e) => {
      assert.match(String(e.code), /^SWIFTLET_ERR_MODEL_/);
      assert.equal(e.type, 'server_error');
    },
  );
  assert.ok(text.startsWith('Mock reply'), `text before the failure: ${JSON.stringify(text)}`);

  mock.injectFault({ kind: 'disconnect', afterTokens: 3 });
  const raw = await request(url + '/v1/chat/completions', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'assistant', messages: user('hi'), stream: true }),
  });
  assert.equal(raw.statusCode, 200);
  const wire = await raw.body.text();
  const frames = wire.split('\n\n').filter((f) => f.startsWith('data: '));
  assert.equal(frames.at(-1), 'data: [DONE]');
  const error = JSON.parse(frames.at(-2)!.slice(6)) as { error: { code: string } };
  assert.match(error.error.code, /^SWIFTLET_ERR_MODEL_/);
});

test('a client that disconnects interrupts its turn and frees its admission slot', async (t) => {
  const { url, runtime, mock } = await startTestGateway(t, {
    mock: { tokenDelayMs: 20, outputTokens: 500 },
    server: { maxConcurrentTurns: 1 },
  });
  const ended = nextTurnEnd('chat-disconnect');
  const c = new OpenAI({
    baseURL: url + '/v1',
    apiKey: 'k',
    maxRetries: 0,
    defaultHeaders: { 'X-Swiftlet-Session': 'chat-disconnect' },
  });
  const stream = await c.chat.completions.create({
    model: 'assistant',
    messages: user('long answer please'),
    stream: true,
  });
  for await (const chunk of stream) {
    if (chunk.choices[0]?.delta.content) break; // leaving the loop aborts the request
  }
  const end = await ended;
  assert.equal(end.outcome, 'interrupted');
  const entries = await runtime.entries('chat-disconnect');
  assert.equal(entries.at(-1)?.type, 'turn_end');
  // The only slot (maxConcurrentTurns 1) is free again.
  mock.configure({ tokenDelayMs: 0, outputTokens: 5 });
  const next = await client(url).chat.completions.create({ model: 'assistant', messages: user('again') });
  assert.equal(next.choices[0]!.finish_reason, 'stop');
});

test("a session named with another agent's model is a 409 conflict", async (t) => {
  const agentExtra = `
  other:
    model: mock/mock-model`;
  const { url } = await startTestGateway(t, { config: { agentExtra } });
  const c = new OpenAI({
    baseURL: url + '/v1',
    apiKey: 'k',
    maxRetries: 0,
    defaultHeaders: { 'X-Swiftlet-Session': 'chat-owned' },
  });
  await c.chat.completions.create({ model: 'assistant', messages: user('mine') });
  for (const stream of [false, true]) {
    await rejectsWith(
      c.chat.completions.create({ model: 'other', messages: user('theirs'), stream }),
      OpenAI.ConflictError,
      (e) => assert.equal(e.code, 'SWIFTLET_ERR_SESSION_AGENT_MISMATCH'),
    );
  }
  await rejectsWith(
    c.chat.completions.create(
      { model: 'assistant', messages: user('x') },
      { headers: { 'X-Swiftlet-Session': 'bad id!' } },
    ),
    OpenAI.BadRequestError,
    (e) => assert.equal(e.param, 'X-Swiftlet-Session'),
  );
});
