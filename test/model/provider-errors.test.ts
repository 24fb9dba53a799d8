// Provider text stays off error messages (they reach API clients and session logs); it rides on `body`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SwiftletError } from '../../src/core/index.js';
import { httpError } from '../../src/model/http-errors.js';
import { parseJson } from '../../src/model/decoder.js';
import { OpenAiStreamDecoder } from '../../src/model/openai-stream.js';
import { AnthropicStreamDecoder } from '../../src/model/anthropic-stream.js';
import { openAiCompletionEvents } from '../../src/model/openai-wire.js';

const SECRET = 'sk-MODELSECRET-123456789';

function thrown(fn: () => unknown): SwiftletError {
  try {
    fn();
  } catch (err) {
    assert.ok(SwiftletError.isInstance(err));
    return err;
  }
  assert.fail('expected a throw');
}

test('an HTTP error says provider and status; the body is kept on the error, never serialised', () => {
  const body = JSON.stringify({ error: { message: `Incorrect API key provided: ${SECRET}` } });
  const e = httpError('openai', 401, {}, body);
  assert.equal(e.message, 'openai: provider error (HTTP 401)');
  assert.equal(e.status, 401);
  assert.equal(e.body, body);
  assert.ok(!JSON.stringify(e).includes(SECRET));
});

test('errors inside an answer and unparsable answers keep the provider text off the message', () => {
  const data = JSON.stringify({ error: { message: `bad key ${SECRET}`, type: 'invalid_request_error' } });
  const sse = (s: string) => new TextEncoder().encode(s);
  const cases: [string, SwiftletError][] = [
    ['openai stream', thrown(() => new OpenAiStreamDecoder('p').push(sse(`data: ${data}\n\n`)))],
    [
      'anthropic stream',
      thrown(() =>
        new AnthropicStreamDecoder('p').push(
          sse(`event: error\ndata: {"type":"error","error":${JSON.stringify(JSON.parse(data).error)}}\n\n`),
        ),
      ),
    ],
    ['openai answer', thrown(() => openAiCompletionEvents('p', JSON.parse(data)))],
    ['not JSON', thrown(() => parseJson('p', `<html>${SECRET}</html>`))],
  ];
  for (const [what, e] of cases) {
    assert.equal(e.code, 'SWIFTLET_ERR_MODEL_RESPONSE', what);
    assert.ok(!e.message.includes(SECRET), `${what}: ${e.message}`);
    assert.ok(e.body?.includes(SECRET), `${what} keeps the text on body`);
  }
  assert.equal(cases[0]![1].message, 'p: provider error in the answer (invalid_request_error)');
});
