import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestGateway } from '../helpers/gateway.js';
import { call, openSse, waitUntil } from './native-support.js';

const SLOW_TIMEOUTS = '{ connectMs: 2000, firstTokenMs: 60000, idleMs: 60000, totalMs: 120000 }';

test('POST turns answers the final result as JSON; the session remembers the conversation', async (t) => {
  const { url, mock } = await startTestGateway(t, { mock: { script: [{ text: 'Hello Ana.' }, { text: 'Ana.' }] } });
  const id = (await call(url, 'POST', '/v1/sessions', { body: {} })).body.id as string;
  const r = await call(url, 'POST', `/v1/sessions/${id}/turns`, { body: { input: 'I am Ana', agent: 'assistant' } });
  assert.equal(r.status, 200);
  assert.deepEqual(Object.keys(r.body).sort(), ['outcome', 'sessionId', 'steps', 'text', 'turnId', 'usage']);
  assert.equal(r.body.sessionId, id);
  assert.match(r.body.turnId, /^turn_/);
  assert.equal(r.headers['x-turn-id'], r.body.turnId);
  assert.deepEqual([r.body.outcome, r.body.text, r.body.steps], ['final', 'Hello Ana.', 1]);
  assert.ok(r.body.usage.outputTokens > 0);

  const second = await call(url, 'POST', `/v1/sessions/${id}/turns`, { body: { input: 'Who am I?' } });
  assert.equal(second.body.outcome, 'final');
  // The model saw the first exchange as history.
  const sent = mock.requests.at(-1)!.body as { messages: { role: string; content: string }[] };
  assert.ok(sent.messages.some((m) => m.role === 'user' && m.content === 'I am Ana'));
  assert.ok(sent.messages.some((m) => m.role === 'assistant' && m.content === 'Hello Ana.'));
});

test("a turn's text is every step's text joined by a blank line, the same on the native and OpenAI routes", async (t) => {
  // A step that talks before its tool call, one that only calls a tool (adds nothing), then the answer.
  const steps = [
    { text: 'Let me plan.', toolCalls: [{ name: 'todo', arguments: { action: 'add', text: 'buy milk' } }] },
    { toolCalls: [{ name: 'current_time', arguments: {} }] },
    { text: 'Added buy milk to your list.' },
  ];
  const { url, mock } = await startTestGateway(t, { mock: { script: steps } });
  const expected = 'Let me plan.\n\nAdded buy milk to your list.';

  const id = (await call(url, 'POST', '/v1/sessions', { body: {} })).body.id as string;
  const json = await call(url, 'POST', `/v1/sessions/${id}/turns`, { body: { input: 'add milk' } });
  assert.equal(json.status, 200);
  assert.deepEqual([json.body.outcome, json.body.text, json.body.steps], ['final', expected, 3]);

  mock.configure({ script: steps });
  const stream = await openSse(url, 'POST', `/v1/sessions/${id}/turns`, { body: { input: 'add milk again' } });
  const events = await stream.read();
  const end = events.at(-1)!;
  assert.equal(end.event, 'turn-end');
  assert.equal(end.data.text, expected);
  // The deltas carry each step's own text; the turn-end text is what they add up to, with the separators.
  const deltas = events.filter((e) => e.event === 'text-delta').map((e) => e.data as { step: number; text: string });
  assert.deepEqual([...new Set(deltas.map((d) => d.step))], [1, 3]);

  mock.configure({ script: steps });
  const chat = await call(url, 'POST', '/v1/chat/completions', {
    body: { model: 'assistant', messages: [{ role: 'user', content: 'add milk' }] },
  });
  assert.equal(chat.status, 200);
  assert.equal(chat.body.choices[0].message.content, expected);

  // The messages keep each step apart.
  const { messages } = (await call(url, 'GET', `/v1/sessions/${id}/messages`)).body as {
    messages: { role: string; text?: string }[];
  };
  assert.deepEqual(
    messages.filter((m) => m.role === 'assistant').map((m) => m.text),
    ['Let me plan.', '', 'Added buy milk to your list.', 'Let me plan.', '', 'Added buy milk to your list.'],
  );
});

test('POST turns: bad input names the field; unknown session 404; another agent 409', async (t) => {
  const { url, mock } = await startTestGateway(t, { server: { bodyLimitBytes: 2048 } });
  const id = (await call(url, 'POST', '/v1/sessions', { body: {} })).body.id as string;
  const turns = `/v1/sessions/${id}/turns`;
  const cases: [string, Parameters<typeof call>[3], number, string | undefined][] = [
    ['no input', { body: {} }, 400, 'input'],
    ['empty input', { body: { input: '' } }, 400, 'input'],
    ['input not a string', { body: { input: ['hi'] } }, 400, 'input'],
    ['unknown field', { body: { input: 'hi', sessionId: 'x' } }, 400, 'sessionId'],
    ['not JSON', { raw: 'input=hi', headers: { 'content-type': 'application/json' } }, 400, 'body'],
    ['not JSON content', { raw: 'hi', headers: { 'content-type': 'text/plain' } }, 415, undefined],
    ['too large', { body: { input: 'x'.repeat(4096) } }, 413, undefined],
    ['another agent', { body: { input: 'hi', agent: 'writer' } }, 409, 'agent'],
  ];
  for (const [what, opts, status, field] of cases) {
    const r = await call(url, 'POST', turns, opts);
    assert.equal(r.status, status, what);
    assert.equal(r.body.error.field, field, what);
  }
  const unknown = await call(url, 'POST', '/v1/sessions/ses_unknown/turns', { body: { input: 'hi' } });
  assert.equal(unknown.status, 404);
  assert.equal(unknown.body.error.code, 'SWIFTLET_ERR_SESSION_NOT_FOUND');
  assert.equal(mock.requestCount, 0, 'no refused request reached the model');
});

test('interrupt: a running turn ends interrupted with what had streamed; an idle session says false', async (t) => {
  const { url, mock } = await startTestGateway(t, {
    mock: { outputTokens: 50, faults: [{ kind: 'stall', afterTokens: 4 }] },
    config: { timeouts: SLOW_TIMEOUTS },
  });
  const id = (await call(url, 'POST', '/v1/sessions', { body: {} })).body.id as string;
  assert.deepEqual((await call(url, 'POST', `/v1/sessions/${id}/interrupt`)).body, { interrupted: false });
  const pending = call(url, 'POST', `/v1/sessions/${id}/turns`, { body: { input: 'long story' } });
  await mock.waitFor((r) => r.fault === 'stall');
  const r = await call(url, 'POST', `/v1/sessions/${id}/interrupt`);
  assert.equal(r.status, 200);
  assert.deepEqual(r.body, { interrupted: true });
  const result = await pending;
  assert.equal(result.body.outcome, 'interrupted');
  assert.ok(result.body.text.length > 0, 'the partial text is kept');
  const messages = (await call(url, 'GET', `/v1/sessions/${id}/messages`)).body.messages;
  assert.equal(messages.at(-1).interrupted, true);
  assert.equal(messages.at(-1).text, result.body.text);
});

test('DELETE while a turn runs is 429 SESSION_BUSY with Retry-After; afterwards 204', async (t) => {
  const { url, runtime } = await startTestGateway(t, {
    mock: { firstTokenMs: 60_000 },
    config: { timeouts: SLOW_TIMEOUTS },
  });
  const id = (await call(url, 'POST', '/v1/sessions', { body: {} })).body.id as string;
  const pending = call(url, 'POST', `/v1/sessions/${id}/turns`, { body: { input: 'wait' } });
  await waitUntil(async () => (await runtime.getSession(id))?.openTurn !== undefined, 'the turn to start');
  const busy = await call(url, 'DELETE', `/v1/sessions/${id}`);
  assert.equal(busy.status, 429);
  assert.equal(busy.body.error.code, 'SWIFTLET_ERR_SESSION_BUSY');
  assert.ok(Number(busy.headers['retry-after']) >= 1);
  assert.equal((await call(url, 'POST', `/v1/sessions/${id}/interrupt`)).body.interrupted, true);
  assert.equal((await pending).body.outcome, 'interrupted');
  assert.equal((await call(url, 'DELETE', `/v1/sessions/${id}`)).status, 204);
});

test('turn admission: past server.maxConcurrentTurns a turn is 429 with Retry-After, and the slot comes back', async (t) => {
  const { url, mock } = await startTestGateway(t, {
    server: { maxConcurrentTurns: 1 },
    mock: { firstTokenMs: 60_000 },
    config: { timeouts: SLOW_TIMEOUTS },
  });
  const a = (await call(url, 'POST', '/v1/sessions', { body: {} })).body.id as string;
  const b = (await call(url, 'POST', '/v1/sessions', { body: {} })).body.id as string;
  const running = call(url, 'POST', `/v1/sessions/${a}/turns`, { body: { input: 'one' } });
  await mock.waitFor(() => true);
  const refused = await call(url, 'POST', `/v1/sessions/${b}/turns`, { body: { input: 'two' } });
  assert.equal(refused.status, 429);
  assert.equal(refused.body.error.code, 'SWIFTLET_ERR_OVERLOADED');
  assert.ok(refused.headers['retry-after']);
  await call(url, 'POST', `/v1/sessions/${a}/interrupt`);
  assert.equal((await running).body.outcome, 'interrupted');
  mock.configure({ firstTokenMs: 0 });
  const again = await call(url, 'POST', `/v1/sessions/${b}/turns`, { body: { input: 'two' } });
  assert.equal(again.status, 200);
  assert.equal(again.body.outcome, 'final');
});

test('a model failure is a 200 result with outcome failed and the error', async (t) => {
  const { url } = await startTestGateway(t, { mock: { faults: [{ kind: 'status', status: 400, body: 'bad' }] } });
  const id = (await call(url, 'POST', '/v1/sessions', { body: {} })).body.id as string;
  const r = await call(url, 'POST', `/v1/sessions/${id}/turns`, { body: { input: 'hi' } });
  assert.equal(r.status, 200);
  assert.equal(r.body.outcome, 'failed');
  assert.equal(r.body.error.code, 'SWIFTLET_ERR_MODEL_HTTP');
});
