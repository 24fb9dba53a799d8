import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestGateway } from '../helpers/gateway.js';
import { WsClient, turnEnded } from './ws-support.js';

// 4,000 tokens of 4 KiB: 16 MiB of events, several times what the kernel's socket buffers on both ends can hold
// (about 4 MiB with Linux defaults), so most of it can only go to the server's memory or be dropped.
const WORD = 'x'.repeat(4095) + ' ';
const TOKENS = 4000;
const TOTAL = WORD.length * TOKENS;

test('a reader that stops reading is dropped with 1008; its turn still completes in the store', async (t) => {
  const limit = 64 * 1024;
  const { url, runtime } = await startTestGateway(t, {
    mock: { script: [{ text: WORD.repeat(TOKENS) }] },
    server: { wsMaxBufferedBytes: limit },
    // The reply is far past the default output cap (1 MiB).
    config: { agentExtra: `    maxOutputBytes: ${2 * TOTAL}` },
  });
  const c = await WsClient.open(url);
  c.ws.pause();
  const ended = turnEnded('ws-slow', 60_000);
  c.send({ type: 'turn', id: 'slow', sessionId: 'ws-slow', input: 'stream a lot' });

  const end = await ended;
  assert.equal(end.outcome, 'final');
  assert.equal(end.text.length, TOTAL);
  const stored = await runtime.entries('ws-slow');
  const reply = stored.find((e) => e.type === 'assistant');
  assert.equal(reply?.type === 'assistant' && reply.text.length, TOTAL, 'the whole reply is in the store');
  const last = stored.at(-1);
  assert.equal(last?.type === 'turn_end' && last.outcome, 'final');

  // Reading again, the client finds what was in flight, then the close frame: the rest was never buffered.
  c.ws.resume();
  const closed = await Promise.race([c.closed, c.turnEnd('slow', 60_000).catch(() => c.closed)]);
  assert.ok('code' in closed, 'the whole stream was kept for the slow reader instead of dropping it');
  assert.equal(closed.code, 1008);
  assert.match(closed.reason, /too slow/);
  assert.ok(c.bytes < TOTAL / 2, `received ${c.bytes} of ${TOTAL} bytes: the server did not keep the rest`);
  assert.equal(
    c.frames.find((f) => f.event?.type === 'turn-end'),
    undefined,
  );
});

test('a reader that keeps up receives the same stream whole', async (t) => {
  const { url } = await startTestGateway(t, {
    mock: { script: [{ text: WORD.repeat(256) }] },
    server: { wsMaxBufferedBytes: 64 * 1024 },
  });
  const c = await WsClient.open(url);
  c.send({ type: 'turn', id: 'fast', input: 'stream some' });
  const end = await c.turnEnd('fast');
  assert.equal(end.event.outcome, 'final');
  assert.equal(end.event.text.length, WORD.length * 256);
  assert.equal(c.ws.readyState, c.ws.OPEN);
});
