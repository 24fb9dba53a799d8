// The mock LLM's other endpoints (models, embeddings, unknown paths) and how it cuts text and arguments into tokens.
import { test, describe, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { startMockLlm, type MockLlm } from '../../src/model/mock/index.js';
import { splitArguments, splitText } from '../../src/model/mock/reply.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- provider payloads are checked field by field below
type Json = any;

describe('mock LLM models, embeddings, unknown paths', () => {
  let mock: MockLlm;
  before(async () => {
    mock = await startMockLlm();
  });
  after(async () => {
    await mock.close();
  });
  beforeEach(() => mock.reset());

  async function post(path: string, body: unknown): Promise<{ status: number; text: string }> {
    const res = await fetch(`${mock.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    return { status: res.status, text: await res.text() };
  }

  test('GET /v1/models in the OpenAI shape, and the Anthropic shape when asked in Anthropic style', async () => {
    const openai: Json = await (await fetch(`${mock.url}/v1/models`)).json();
    assert.equal(openai.object, 'list');
    assert.ok(
      openai.data.length > 0 && openai.data.every((m: Json) => m.object === 'model' && typeof m.id === 'string'),
    );
    const anthropic: Json = await (
      await fetch(`${mock.url}/v1/models`, { headers: { 'anthropic-version': '2023-06-01' } })
    ).json();
    assert.equal(anthropic.has_more, false);
    assert.ok(anthropic.data.every((m: Json) => m.type === 'model'));
    const one: Json = await (await fetch(`${mock.url}/v1/models/some-model`)).json();
    assert.equal(one.id, 'some-model');
    assert.equal(mock.requests.at(-1)?.format, 'models');
    assert.equal(mock.requestCount, 0, 'only model calls count');
  });

  test('embeddings: deterministic unit vectors, dimensions, base64, 400s', async () => {
    const embed = async (body: Json): Promise<Json> => JSON.parse((await post('/v1/embeddings', body)).text);
    const a: Json = await embed({ model: 'e', input: ['alpha', 'beta', 'alpha'] });
    assert.equal(a.object, 'list');
    assert.equal(a.data.length, 3);
    const [x, y, z] = a.data.map((d: Json) => d.embedding as number[]);
    assert.equal(x.length, 8, 'default dimensions');
    assert.deepEqual(x, z);
    assert.notDeepEqual(x, y);
    assert.ok(Math.abs(Math.hypot(...x) - 1) < 1e-5, 'unit length');
    const again: Json = await embed({ model: 'e', input: 'alpha' });
    assert.deepEqual(again.data[0].embedding, x);
    const wide: Json = await embed({ model: 'e', input: 'alpha', dimensions: 64 });
    assert.equal(wide.data[0].embedding.length, 64);
    const b64: Json = await embed({ model: 'e', input: 'alpha', encoding_format: 'base64' });
    const buf = Buffer.from(b64.data[0].embedding as string, 'base64');
    assert.deepEqual(Array.from(new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4)), x);
    assert.deepEqual(a.usage, { prompt_tokens: 3, total_tokens: 3 });
    assert.equal(mock.requests.at(-1)?.format, 'embeddings');
    for (const bad of [
      { model: 'e' },
      { model: 'e', input: '' },
      { model: 'e', input: 'x', dimensions: 0 },
      { input: 'x' },
    ]) {
      const res = await post('/v1/embeddings', bad);
      assert.equal(res.status, 400, JSON.stringify(bad));
      assert.equal(JSON.parse(res.text).error.type, 'invalid_request_error');
    }
    assert.equal((await post('/v1/embeddings', '{')).status, 400);
  });

  test('unknown path or method: 404 JSON, recorded as other', async () => {
    const res = await fetch(`${mock.url}/v2/nothing`);
    assert.equal(res.status, 404);
    assert.match(((await res.json()) as Json).error.message, /\/v2\/nothing/);
    const wrongMethod = await fetch(`${mock.url}/v1/chat/completions`);
    assert.equal(wrongMethod.status, 404);
    await wrongMethod.arrayBuffer();
    assert.equal(mock.requests.at(-1)?.format, 'other');
  });
});

describe('mock LLM tokens', () => {
  test('text splits into word tokens that join back exactly', () => {
    for (const text of ['', 'one', '  lead and trail  ', 'a\nb\tc  d', 'ünï cödé 🎉 ok']) {
      const tokens = splitText(text);
      assert.equal(tokens.join(''), text);
      assert.ok(tokens.every((t) => t !== ''));
    }
    assert.deepEqual(splitText('Hello big world'), ['Hello ', 'big ', 'world']);
  });

  test('arguments split in at least two pieces, never inside a surrogate pair', () => {
    assert.deepEqual(splitArguments(''), ['']);
    assert.deepEqual(splitArguments('{}'), ['{', '}']);
    const emoji = '{"e":"' + '🎉'.repeat(20) + '"}';
    for (const args of ['{"a":1}', emoji, JSON.stringify({ text: 'x'.repeat(100) })]) {
      const parts = splitArguments(args);
      assert.ok(parts.length >= 2);
      assert.equal(parts.join(''), args);
      for (const p of parts) assert.equal(Buffer.from(p, 'utf8').toString('utf8'), p, 'no lone surrogate');
    }
  });
});
