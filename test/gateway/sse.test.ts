import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { SseStream } from '../../src/gateway/sse.js';
import { parseId, compareIds } from '../../src/gateway/native/event-ids.js';
import { startTestGateway } from '../helpers/gateway.js';
import { call, openSse, SseParser, waitUntil } from './native-support.js';

/** A ServerResponse stand-in whose socket buffer is full until 'drain' is emitted. */
class FakeResponse extends EventEmitter {
  chunks: string[] = [];
  full = false;
  ended = false;
  destroyed = false;
  status = 0;
  headers: Record<string, string> = {};
  get writableNeedDrain(): boolean {
    return this.full;
  }
  writeHead(status: number, headers: Record<string, string>): this {
    this.status = status;
    this.headers = headers;
    return this;
  }
  flushHeaders(): void {}
  write(chunk: string): boolean {
    this.chunks.push(chunk);
    return !this.full;
  }
  end(): void {
    this.ended = true;
  }
}

test('SseStream: frames parse as EventSource would; a full buffer makes the writer wait for drain', async () => {
  const res = new FakeResponse();
  const sse = new SseStream(res as unknown as ServerResponse, { heartbeatMs: 60_000, headers: { 'x-turn-id': 't' } });
  assert.equal(res.status, 200);
  assert.match(res.headers['content-type']!, /^text\/event-stream/);
  assert.equal(res.headers['x-turn-id'], 't');

  assert.equal(sse.send('text-delta', { text: 'a\nb' }, '1.3'), undefined);
  res.full = true;
  const wait = sse.send('text-delta', { text: 'c' }, '1.4');
  assert.ok(wait, 'a full buffer returns a promise');
  let drained = false;
  void wait.then(() => (drained = true));
  await new Promise((r) => setImmediate(r));
  assert.equal(drained, false, 'still waiting before drain');
  res.full = false;
  res.emit('drain');
  await wait;
  assert.equal(res.listenerCount('drain'), 0);

  const parsed = new SseParser().push(res.chunks.join(''));
  assert.deepEqual(parsed, [
    { id: '1.3', event: 'text-delta', data: { text: 'a\nb' } },
    { id: '1.4', event: 'text-delta', data: { text: 'c' } },
  ]);
  sse.end();
  assert.equal(res.ended, true);
  assert.equal(sse.send('x', {}), undefined, 'nothing is written after the end');
  assert.equal(res.chunks.length, 2);
});

test('SseStream: a client that goes away releases a waiting writer', async () => {
  const res = new FakeResponse();
  const sse = new SseStream(res as unknown as ServerResponse, { heartbeatMs: 60_000 });
  res.full = true;
  const wait = sse.send('e', {});
  res.destroyed = true;
  res.emit('close');
  await wait;
  assert.equal(sse.closed, true);
});

test('POST turns with Accept: text/event-stream streams every event with growing ids, turn-end last', async (t) => {
  const script = [
    { text: 'Let me note that.', toolCalls: [{ name: 'todo', arguments: { action: 'add', text: 'test SSE' } }] },
    { text: 'Noted, all done.' },
  ];
  const { url } = await startTestGateway(t, { mock: { script } });
  const id = (await call(url, 'POST', '/v1/sessions', { body: {} })).body.id as string;
  const stream = await openSse(url, 'POST', `/v1/sessions/${id}/turns`, { body: { input: 'remember to test' } });
  assert.equal(stream.status, 200);
  assert.match(String(stream.headers['content-type']), /^text\/event-stream/);
  assert.equal(stream.headers['x-session-id'], id);
  const events = await stream.read();

  assert.equal(events[0]!.event, 'turn-start');
  assert.equal(events[0]!.data.turnId, stream.headers['x-turn-id']);
  const end = events.at(-1)!;
  assert.equal(end.event, 'turn-end');
  assert.equal(end.data.outcome, 'final');
  assert.equal(events.filter((e) => e.event === 'turn-end').length, 1);
  for (const e of events) assert.equal(e.event, e.data.type, 'the SSE event name is the event type');
  for (let i = 1; i < events.length; i++) {
    assert.ok(compareIds(parseId(events[i - 1]!.id)!, parseId(events[i]!.id)!) < 0, `${events[i]!.id} grows`);
  }
  const types = new Set(events.map((e) => e.event));
  for (const type of ['text-delta', 'tool-call', 'tool-result', 'step-finish']) assert.ok(types.has(type), type);
  const stepText = (step: number) =>
    events
      .filter((e) => e.event === 'text-delta' && e.data.step === step)
      .map((e) => e.data.text)
      .join('');
  assert.equal(stepText(1), 'Let me note that.');
  assert.equal(stepText(2), 'Noted, all done.');
  // The turn's text: every step's, joined by a blank line.
  assert.equal(end.data.text, 'Let me note that.\n\nNoted, all done.');
});

test('SSE sends heartbeat comments while a turn waits on the model', async (t) => {
  const { url, runtime } = await startTestGateway(t, {
    mock: { firstTokenMs: 60_000 },
    server: { sseHeartbeatMs: 20 },
  });
  const id = (await call(url, 'POST', '/v1/sessions', { body: {} })).body.id as string;
  const stream = await openSse(url, 'POST', `/v1/sessions/${id}/turns`, { body: { input: 'slow' } });
  await stream.read(undefined, () => stream.parser.comments >= 2);
  assert.ok(stream.parser.comments >= 2);
  // The heartbeats did not end the turn; an interrupt does.
  assert.equal((await call(url, 'POST', `/v1/sessions/${id}/interrupt`)).body.interrupted, true);
  const rest = await stream.read();
  assert.equal(rest.at(-1)!.data.outcome, 'interrupted');
  await waitUntil(async () => (await runtime.getSession(id))?.openTurn === undefined, 'the turn to close');
});
