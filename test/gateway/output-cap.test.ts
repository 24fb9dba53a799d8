// agents.<name>.maxOutputBytes through the gateway, with the mock LLM over real HTTP.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestGateway } from '../helpers/gateway.js';
import { call } from './native-support.js';

test('a turn past maxOutputBytes ends failed, keeps the partial reply, and the session goes on', async (t) => {
  const { url, mock, runtime } = await startTestGateway(t, {
    mock: { outputTokens: 5000, tokenDelayMs: 1 },
    config: { agentExtra: '    maxOutputBytes: 2000' },
  });
  const id = (await call(url, 'POST', '/v1/sessions', { body: {} })).body.id as string;
  const r = await call(url, 'POST', `/v1/sessions/${id}/turns`, { body: { input: 'tell me everything' } });
  assert.equal(r.body.outcome, 'failed');
  assert.equal(r.body.error.code, 'SWIFTLET_ERR_OUTPUT_TOO_LARGE');
  assert.match(r.body.error.message, /2000 bytes.*agents\.assistant\.maxOutputBytes/);
  assert.equal(Buffer.byteLength(r.body.text), 2000);
  assert.ok(r.body.text.startsWith('Mock reply to: "tell me everything"'));
  // The provider connection was closed before the answer was complete.
  await mock.waitFor((rec) => rec.clientClosed, 5000);

  const stored = await runtime.entries(id);
  const reply = stored.find((e) => e.type === 'assistant');
  assert.ok(reply?.type === 'assistant');
  assert.equal(reply.text, r.body.text);
  assert.equal(reply.interrupted, true);
  const end = stored.at(-1)!;
  assert.ok(end.type === 'turn_end');
  assert.equal(end.outcome, 'failed');
  assert.equal(end.error?.code, 'SWIFTLET_ERR_OUTPUT_TOO_LARGE');

  mock.configure({ outputTokens: 10, tokenDelayMs: 0 });
  const next = await call(url, 'POST', `/v1/sessions/${id}/turns`, { body: { input: 'shorter please' } });
  assert.equal(next.body.outcome, 'final');
  assert.ok(next.body.text.startsWith('Mock reply to: "shorter please"'));
});
