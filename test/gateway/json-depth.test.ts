// Deeply nested JSON is refused at parse time with a 400 that names the field, on HTTP bodies and WebSocket messages
// alike: validation and listings never see it (2,000 levels once overflowed the stack in validation).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_JSON_DEPTH, parseJson } from '../../src/gateway/json.js';
import { startTestGateway } from '../helpers/gateway.js';
import { call } from './native-support.js';
import { WsClient } from './ws-support.js';

function nested(levels: number): unknown {
  let v: unknown = 'leaf';
  for (let i = 0; i < levels; i++) v = { a: v };
  return v;
}

test('parseJson: up to the limit is accepted; one level more names the top-level field and the path', () => {
  // The body itself is level 1, so a field may hold MAX_JSON_DEPTH - 1 levels of objects.
  const ok = { metadata: nested(MAX_JSON_DEPTH - 1) };
  assert.deepEqual(parseJson(JSON.stringify(ok), 'body'), ok);
  assert.throws(
    () => parseJson(JSON.stringify({ input: 'x', metadata: nested(MAX_JSON_DEPTH) }), 'body'),
    (err: { code: string; field: string; message: string }) =>
      err.code === 'SWIFTLET_ERR_INVALID_INPUT' &&
      err.field === 'metadata' &&
      /^metadata\.a\.a.*…: nested deeper than 32 levels$/.test(err.message),
  );
  const arrays = '['.repeat(100_000) + ']'.repeat(100_000);
  assert.throws(
    () => parseJson(arrays, 'body'),
    (err: { field: string; message: string }) => err.field === 'body' && /^0\.0\.0/.test(err.message),
  );
  assert.throws(
    () => parseJson('{"a":', 'body'),
    (err: { field: string; message: string }) => {
      return err.field === 'body' && /the body is not valid JSON/.test(err.message);
    },
  );
});

test('HTTP: metadata nested 2,000 deep is a 400 naming metadata; the session is not created', async (t) => {
  const { url } = await startTestGateway(t);
  const r = await call(url, 'POST', '/v1/sessions', { body: { metadata: nested(2000) } });
  assert.equal(r.status, 400);
  assert.equal(r.body.error.code, 'SWIFTLET_ERR_INVALID_INPUT');
  assert.equal(r.body.error.field, 'metadata');
  assert.deepEqual((await call(url, 'GET', '/v1/sessions')).body.sessions, []);
  const fine = await call(url, 'POST', '/v1/sessions', { body: { metadata: nested(10) } });
  assert.equal(fine.status, 201);
});

test('WebSocket: a message nested too deep is an error frame; the socket stays open', async (t) => {
  const { url } = await startTestGateway(t);
  const ws = await WsClient.open(url);
  t.after(() => ws.close());
  ws.send({ type: 'turn', id: 'deep', input: 'hi', extra: nested(500) });
  const err = await ws.waitFor((f) => f.type === 'error');
  assert.equal(err.error.code, 'SWIFTLET_ERR_INVALID_INPUT');
  assert.equal(err.error.field, 'extra');
  ws.send({ type: 'ping', id: 'p' });
  await ws.waitFor((f) => f.type === 'pong' && f.id === 'p');
});
