import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { request } from 'undici';
import { DEFAULT_SERVER_OPTIONS, startGateway } from '../../src/gateway/index.js';
import { compareIds, parseId } from '../../src/gateway/native/event-ids.js';
import type { Runtime } from '../../src/runtime/index.js';
import { startTestGateway } from '../helpers/gateway.js';
import { call, openSse, SseParser, waitUntil, type SseEvent } from './native-support.js';

const SLOW_TIMEOUTS = '{ connectMs: 2000, firstTokenMs: 60000, idleMs: 60000, totalMs: 120000 }';

const texts = (events: SseEvent[]) =>
  events
    .filter((e) => e.event === 'text-delta')
    .map((e) => e.data.text as string)
    .join('');

async function newSession(url: string): Promise<string> {
  return (await call(url, 'POST', '/v1/sessions', { body: {} })).body.id as string;
}

async function turnClosed(runtime: Runtime, id: string): Promise<void> {
  await waitUntil(async () => {
    const s = await runtime.getSession(id);
    return s !== undefined && s.lastSeq > 0 && s.openTurn === undefined;
  }, 'the turn to end');
}

test('resume with Last-Event-ID while the turn runs: the rest, no repeats, nothing lost', async (t) => {
  const { url, runtime, mock } = await startTestGateway(t, {
    mock: { outputTokens: 40, faults: [{ kind: 'stall', afterTokens: 8 }] },
    config: { timeouts: SLOW_TIMEOUTS },
  });
  const id = await newSession(url);
  const first = await openSse(url, 'POST', `/v1/sessions/${id}/turns`, { body: { input: 'tell me a story' } });
  const turnId = first.headers['x-turn-id'] as string;
  let deltas = 0;
  const before = await first.read((e) => e.event === 'text-delta' && ++deltas === 3);
  first.close();
  const lastId = before.at(-1)!.id;

  // The model has stalled mid-answer: the turn is certainly still running.
  await mock.waitFor((r) => r.fault === 'stall');
  assert.equal((await runtime.getSession(id))?.openTurn, turnId);
  const resumed = await openSse(url, 'GET', `/v1/sessions/${id}/turns/${turnId}/events`, {
    headers: { 'last-event-id': lastId },
  });
  assert.equal(resumed.status, 200);
  const partial = await resumed.read((e) => e.event === 'text-delta');
  assert.ok(compareIds(parseId(partial[0]!.id)!, parseId(lastId)!) > 0);
  assert.equal((await call(url, 'POST', `/v1/sessions/${id}/interrupt`)).body.interrupted, true);
  const after = [...partial, ...(await resumed.read())];
  const end = after.at(-1)!;
  assert.equal(end.event, 'turn-end');
  assert.equal(end.data.outcome, 'interrupted');
  assert.ok(end.data.text.length > texts(before).length);
  assert.equal(texts(before) + texts(after), end.data.text);
});

test('a client that disconnects does not stop the turn; it resumes after the end from memory', async (t) => {
  const { url, runtime } = await startTestGateway(t, { mock: { outputTokens: 30, tokenDelayMs: 2 } });
  const id = await newSession(url);
  const first = await openSse(url, 'POST', `/v1/sessions/${id}/turns`, { body: { input: 'go on' } });
  const turnId = first.headers['x-turn-id'] as string;
  const before = await first.read((e) => e.event === 'text-delta');
  first.close();
  await turnClosed(runtime, id);
  const stored = await runtime.entries(id);
  const lastEntry = stored.at(-1)!;
  assert.equal(lastEntry.type === 'turn_end' && lastEntry.outcome, 'final');

  const lastId = before.at(-1)!.id;
  for (const via of ['header', 'query'] as const) {
    const path = `/v1/sessions/${id}/turns/${turnId}/events${via === 'query' ? `?lastEventId=${lastId}` : ''}`;
    const resumed = await openSse(url, 'GET', path, via === 'header' ? { headers: { 'last-event-id': lastId } } : {});
    const after = await resumed.read();
    assert.equal(after.at(-1)!.data.outcome, 'final', via);
    assert.equal(texts(before) + texts(after), after.at(-1)!.data.text, via);
  }

  // JSON instead of SSE: the same events, and whether the turn is done.
  const json = await call(url, 'GET', `/v1/sessions/${id}/turns/${turnId}/events`, {
    headers: { 'last-event-id': lastId },
  });
  assert.equal(json.body.done, true);
  assert.equal(json.body.events.at(-1).event.type, 'turn-end');
  // Nothing after the last event: SSE answers 204 (an EventSource stops reconnecting), JSON an empty list.
  const endId = json.body.events.at(-1).id as string;
  const none = await request(`${url}/v1/sessions/${id}/turns/${turnId}/events`, {
    headers: { accept: 'text/event-stream', 'last-event-id': endId },
  });
  assert.equal(none.statusCode, 204);
  await none.body.dump();
});

test('a turn no longer in memory is rebuilt from the log with the ids the live stream had', async (t) => {
  const script = [
    { text: 'Checking the list.', toolCalls: [{ name: 'todo', arguments: { action: 'list' } }] },
    { text: 'The list is empty.' },
  ];
  const { url, runtime } = await startTestGateway(t, { mock: { script } });
  const id = await newSession(url);
  const live = await (await openSse(url, 'POST', `/v1/sessions/${id}/turns`, { body: { input: 'list' } })).read();
  const turnId = live[0]!.data.turnId as string;

  // A second gateway on the same runtime has never seen the turn: it reads the session log.
  const other = await startGateway(runtime, { ...DEFAULT_SERVER_OPTIONS, port: 0 }, pino({ level: 'silent' }));
  t.after(() => other.close({ drainMs: 0 }));
  const rebuilt = await (await openSse(other.url, 'GET', `/v1/sessions/${id}/turns/${turnId}/events`)).read();
  const rebuiltIds = new Set(rebuilt.map((e) => e.id));
  // Every rebuilt id is one the live stream sent (text ids: the last delta of each step).
  for (const e of rebuilt)
    assert.ok(
      live.some((l) => l.id === e.id && l.event === e.event),
      `${e.id} ${e.event}`,
    );
  for (const e of live) {
    if (e.event === 'step-finish') assert.ok(!rebuiltIds.has(e.id));
    else if (e.event !== 'text-delta') assert.ok(rebuiltIds.has(e.id), `${e.id} ${e.event} rebuilt`);
  }
  assert.deepEqual(rebuilt.at(-1)!.data, live.at(-1)!.data);

  // Resuming from the rebuilt stream mid-text gives exactly the unseen rest.
  const firstDelta = live.find((e) => e.event === 'text-delta')!;
  const after = await (
    await openSse(other.url, 'GET', `/v1/sessions/${id}/turns/${turnId}/events`, {
      headers: { 'last-event-id': firstDelta.id },
    })
  ).read();
  assert.equal(firstDelta.data.text + texts(after), 'Checking the list.' + 'The list is empty.');

  const missing = await call(other.url, 'GET', `/v1/sessions/${id}/turns/turn_nope/events`);
  assert.equal(missing.status, 404);
  assert.equal(missing.body.error.field, 'turnId');
  const bad = await call(other.url, 'GET', `/v1/sessions/${id}/turns/${turnId}/events`, {
    headers: { 'last-event-id': 'abc' },
  });
  assert.equal(bad.status, 400);
  assert.equal(bad.body.error.field, 'Last-Event-ID');
  const wrongSession = await call(other.url, 'GET', `/v1/sessions/ses_other/turns/${turnId}/events`);
  assert.equal(wrongSession.status, 404);
});

test('POST turns refuses Last-Event-ID rather than starting a second turn', async (t) => {
  const { url, mock } = await startTestGateway(t);
  const id = await newSession(url);
  const r = await call(url, 'POST', `/v1/sessions/${id}/turns`, {
    body: { input: 'again' },
    headers: { 'last-event-id': '1.4' },
  });
  assert.equal(r.status, 400);
  assert.equal(r.body.error.field, 'Last-Event-ID');
  assert.equal(mock.requestCount, 0);
});

test('interruptOnDisconnect=true: the client leaving interrupts the turn, recorded as interrupted', async (t) => {
  const { url, runtime } = await startTestGateway(t, {
    mock: { firstTokenMs: 60_000 },
    config: { timeouts: SLOW_TIMEOUTS },
  });
  const id = await newSession(url);
  const s = await openSse(url, 'POST', `/v1/sessions/${id}/turns?interruptOnDisconnect=true`, { body: { input: 'x' } });
  await s.read((e) => e.event === 'turn-start');
  s.close();
  await turnClosed(runtime, id);
  const last = (await runtime.entries(id)).at(-1)!;
  assert.equal(last.type === 'turn_end' && last.outcome, 'interrupted');
  const bad = await call(url, 'POST', `/v1/sessions/${id}/turns?interruptOnDisconnect=maybe`, { body: { input: 'x' } });
  assert.equal(bad.status, 400);
  assert.equal(bad.body.error.field, 'interruptOnDisconnect');
});

test('a reader that stops reading never holds the turn back; it later gets all the text', async (t) => {
  const { url, runtime } = await startTestGateway(t, { mock: { outputTokens: 20_000 } });
  const id = await newSession(url);
  const res = await request(`${url}/v1/sessions/${id}/turns`, {
    method: 'POST',
    headers: { accept: 'text/event-stream', 'content-type': 'application/json' },
    body: JSON.stringify({ input: 'a long answer please' }),
  });
  // Nothing is read from the response until the turn has ended and been stored.
  await turnClosed(runtime, id);
  const parser = new SseParser();
  const events: SseEvent[] = [];
  for await (const chunk of res.body.setEncoding('utf8')) events.push(...parser.push(chunk as string));
  const end = events.at(-1)!;
  assert.equal(end.event, 'turn-end');
  assert.equal(end.data.outcome, 'final');
  assert.ok(end.data.text.length > 50_000);
  assert.equal(texts(events), end.data.text);
});
