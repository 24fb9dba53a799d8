// A turn acknowledged to its client is never lost: `swiftlet serve` is SIGKILLed while three turns wait on a slow
// first token, each already acknowledged (a native SSE stream's 200 with X-Turn-Id, a WebSocket's turn-accepted, an
// OpenAI-compatible request whose turn reached the model). After a restart every one of them is there: closed as
// interrupted by recovery, with the user's input.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { request } from 'undici';
import { startMockLlm } from '../../src/model/index.js';
import { PATIENT_TIMEOUTS, tempDir, writeMockConfig } from '../helpers/runtime.js';
import { postgresStorage } from '../helpers/services.js';
import { call, openSse, startServe, waitUntil } from './native-support.js';
import { WsClient } from './ws-support.js';

async function killDuringFirstToken(t: TestContext, storage: string): Promise<void> {
  const dir = tempDir(t);
  const mock = await startMockLlm({ firstTokenMs: 120_000 });
  t.after(() => mock.close());
  const config = writeMockConfig(dir, mock.url, {
    storage,
    provider: `    timeouts: ${PATIENT_TIMEOUTS}`,
    server: '{ port: 0 }',
  });
  const first = startServe(['--config', config], dir);
  const url = await first.url;

  // Native: the stream's head (200, X-Turn-Id) is the acknowledgement.
  const session = (await call(url, 'POST', '/v1/sessions', { body: {} })).body.id as string;
  const sse = await openSse(url, 'POST', `/v1/sessions/${session}/turns`, { body: { input: 'native input' } });
  assert.equal(sse.status, 200);
  const nativeTurn = sse.headers['x-turn-id'] as string;
  assert.match(nativeTurn, /^turn_/);

  // WebSocket: turn-accepted.
  const ws = await WsClient.open(url);
  ws.send({ type: 'turn', id: 'w', input: 'websocket input' });
  const accepted = await ws.waitFor((f) => f.type === 'turn-accepted' && f.id === 'w');

  // OpenAI-compatible, on a client-chosen session: its turn has reached the model.
  const openai = request(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-swiftlet-session': 'openai-chosen' },
    body: JSON.stringify({ model: 'assistant', stream: true, messages: [{ role: 'user', content: 'openai input' }] }),
  }).catch(() => undefined);

  await waitUntil(() => mock.requestCount >= 3, 'the three turns to reach the model');
  (await first.child).kill('SIGKILL');
  await first.exit;
  await openai;
  ws.close();
  sse.close();

  const second = startServe(['--config', config], dir);
  t.after(async () => {
    (await second.child).kill('SIGTERM');
    await second.exit;
  });
  const again = await second.url;
  const found: [string, string, string][] = [
    [session, nativeTurn, 'native input'],
    [accepted.sessionId, accepted.turnId, 'websocket input'],
  ];
  const chosen = await call(again, 'GET', '/v1/sessions/openai-chosen/messages');
  assert.equal(chosen.status, 200, 'the OpenAI turn is stored');
  found.push(['openai-chosen', chosen.body.messages[0]?.turnId, 'openai input']);
  for (const [id, turnId, input] of found) {
    const messages = await call(again, 'GET', `/v1/sessions/${id}/messages`);
    assert.equal(messages.status, 200, `${input}: the session is there`);
    assert.deepEqual(
      messages.body.messages.map((m: { role: string; text: string }) => [m.role, m.text]),
      [['user', input]],
      `${input}: the input is kept`,
    );
    const turn = await call(again, 'GET', `/v1/sessions/${id}/turns/${turnId}/events`);
    assert.equal(turn.status, 200, `${input}: turn ${turnId} is found`);
    const end = turn.body.events.at(-1).event;
    assert.equal(end.type, 'turn-end');
    assert.equal(end.outcome, 'interrupted', `${input}: closed as interrupted`);
    assert.equal(turn.body.done, true);
  }
}

test('SIGKILL during a slow first token: every acknowledged turn is found with its input (SQLite)', async (t) => {
  const dir = tempDir(t);
  await killDuringFirstToken(t, `{ driver: sqlite, path: ${JSON.stringify(join(dir, 'sessions.db'))} }`);
});

test('SIGKILL during a slow first token: every acknowledged turn is found with its input (PostgreSQL)', async (t) => {
  const storage = await postgresStorage(t, 'swiftlet_start');
  if (storage) await killDuringFirstToken(t, storage);
});
