import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestGateway } from '../helpers/gateway.js';
import { WsClient, turnEnded, type Frame } from './ws-support.js';

const isEvent = (id: string, type: string) => (f: Frame) => f.type === 'event' && f.id === id && f.event.type === type;

test('two sessions at once over one socket: their events interleave and both end final', async (t) => {
  const { url, runtime } = await startTestGateway(t, { mock: { outputTokens: 60, tokenDelayMs: 20 } });
  const c = await WsClient.open(url);
  c.send({ type: 'turn', id: 'a', sessionId: 'ws-two-a', input: 'first' });
  await c.waitFor(isEvent('a', 'text-delta'));
  c.send({ type: 'turn', id: 'b', sessionId: 'ws-two-b', input: 'second' });
  const [endA, endB] = await Promise.all([c.turnEnd('a'), c.turnEnd('b')]);

  const accepted = c.frames.filter((f) => f.type === 'turn-accepted');
  assert.deepEqual(
    accepted.map((f) => [f.id, f.sessionId]),
    [
      ['a', 'ws-two-a'],
      ['b', 'ws-two-b'],
    ],
  );
  assert.equal(accepted[0]!.turnId, endA.event.turnId);
  // B ran while A was still streaming: B started before A ended, and A's tokens kept coming after B started.
  const startB = c.frames.findIndex(isEvent('b', 'turn-start'));
  const endAIndex = c.frames.indexOf(endA);
  assert.ok(startB < endAIndex, 'turn b started before turn a ended');
  assert.ok(c.frames.slice(startB).some(isEvent('a', 'text-delta')), 'events of a and b interleave');
  for (const [end, sessionId] of [
    [endA, 'ws-two-a'],
    [endB, 'ws-two-b'],
  ] as const) {
    assert.equal(end.sessionId, sessionId);
    assert.equal(end.event.outcome, 'final');
    const stored = await runtime.entries(sessionId);
    assert.equal(stored.at(-1)?.type, 'turn_end');
  }
  // Every event of a turn carries its client id and session, and the turn-end comes last.
  assert.deepEqual(
    c
      .events('a')
      .map((e) => e.type)
      .filter((x, i, all) => x !== all[i - 1]),
    ['turn-start', 'text-delta', 'step-finish', 'turn-end'],
  );
});

test('turns on one session queue: the second starts after the first ends', async (t) => {
  const { url } = await startTestGateway(t, { mock: { outputTokens: 10, tokenDelayMs: 5 } });
  const c = await WsClient.open(url);
  c.send({ type: 'turn', id: 1, sessionId: 'ws-queue', input: 'one' });
  c.send({ type: 'turn', id: 2, sessionId: 'ws-queue', input: 'two' });
  const [one, two] = await Promise.all([c.turnEnd(1), c.turnEnd(2)]);
  assert.equal(one.event.outcome, 'final');
  assert.equal(two.event.outcome, 'final');
  assert.ok(c.frames.indexOf(one) < c.frames.findIndex((f) => f.id === 2 && f.event?.type === 'turn-start'));
});

test('interrupt over the socket ends the running turn as interrupted', async (t) => {
  const { url, runtime } = await startTestGateway(t, { mock: { faults: [{ kind: 'stall', afterTokens: 3 }] } });
  const c = await WsClient.open(url);
  c.send({ type: 'turn', id: 't', sessionId: 'ws-int', input: 'go' });
  await c.waitFor(isEvent('t', 'text-delta'));
  c.send({ type: 'interrupt', id: 'i', sessionId: 'ws-int' });
  const ack = await c.waitFor((f) => f.type === 'interrupt-result');
  assert.deepEqual(ack, { type: 'interrupt-result', id: 'i', sessionId: 'ws-int', interrupted: true });
  const end = await c.turnEnd('t');
  assert.equal(end.event.outcome, 'interrupted');
  const stored = await runtime.entries('ws-int');
  const last = stored.at(-1);
  assert.equal(last?.type === 'turn_end' && last.outcome, 'interrupted');

  c.send({ type: 'interrupt', sessionId: 'ws-int' });
  const idle = await c.waitFor((f) => f.type === 'interrupt-result' && f.id === undefined);
  assert.equal(idle.interrupted, false, 'nothing left to interrupt');
});

test('interruptOnClose: closing the socket interrupts the turn; without it the turn runs to the end', async (t) => {
  const { url, mock } = await startTestGateway(t, { mock: { outputTokens: 30, tokenDelayMs: 10 } });
  mock.injectFault({ kind: 'stall', afterTokens: 2 });
  const c1 = await WsClient.open(url);
  const ended1 = turnEnded('ws-ioc-1');
  c1.send({ type: 'turn', id: 'x', sessionId: 'ws-ioc-1', input: 'stop me', interruptOnClose: true });
  await c1.waitFor(isEvent('x', 'text-delta'));
  c1.close();
  assert.equal((await ended1).outcome, 'interrupted');

  const c2 = await WsClient.open(url);
  const ended2 = turnEnded('ws-ioc-2');
  c2.send({ type: 'turn', id: 'y', sessionId: 'ws-ioc-2', input: 'keep going' });
  await c2.waitFor(isEvent('y', 'text-delta'));
  c2.close();
  await c2.closed;
  const end2 = await ended2;
  assert.equal(end2.outcome, 'final');
  assert.ok(end2.text.startsWith('Mock reply to: "keep going"'));
});

test('bad messages get error frames and the socket stays open', async (t) => {
  const { url } = await startTestGateway(t, { server: { bodyLimitBytes: 4096 } });
  const c = await WsClient.open(url);
  const sent: [unknown, { id?: unknown; code: string; field?: string }][] = [
    ['{not json', { code: 'SWIFTLET_ERR_INVALID_INPUT', field: 'message' }],
    ['[1,2]', { code: 'SWIFTLET_ERR_INVALID_INPUT' }],
    [
      { type: 'dance', id: 'd' },
      { id: 'd', code: 'SWIFTLET_ERR_INVALID_INPUT', field: 'type' },
    ],
    [{ id: 'n' }, { id: 'n', code: 'SWIFTLET_ERR_INVALID_INPUT', field: 'type' }],
    [
      { type: 'turn', input: 'hi' },
      { code: 'SWIFTLET_ERR_INVALID_INPUT', field: 'id' },
    ],
    [
      { type: 'turn', id: 'm' },
      { id: 'm', code: 'SWIFTLET_ERR_INVALID_INPUT', field: 'input' },
    ],
    [
      { type: 'turn', id: 'e', input: '' },
      { id: 'e', code: 'SWIFTLET_ERR_INVALID_INPUT', field: 'input' },
    ],
    [
      { type: 'turn', id: 's', input: 'x', sessionId: 'a b' },
      { id: 's', code: 'SWIFTLET_ERR_INVALID_INPUT', field: 'sessionId' },
    ],
    [
      { type: 'turn', id: 'g', input: 'x', agent: 'nobody' },
      { id: 'g', code: 'SWIFTLET_ERR_AGENT_NOT_FOUND', field: 'agent' },
    ],
    [
      { type: 'turn', id: 'o', input: 'x', interruptOnClose: 'yes' },
      { id: 'o', code: 'SWIFTLET_ERR_INVALID_INPUT', field: 'interruptOnClose' },
    ],
    [
      { type: 'interrupt', id: 'q' },
      { id: 'q', code: 'SWIFTLET_ERR_INVALID_INPUT', field: 'sessionId' },
    ],
  ];
  for (const [msg, expected] of sent) {
    const before = c.frames.length;
    c.send(msg);
    const f = await c.waitFor((x) => c.frames.indexOf(x) >= before);
    assert.equal(f.type, 'error', JSON.stringify(msg));
    assert.equal(f.id, expected.id, JSON.stringify(msg));
    assert.equal(f.error.code, expected.code, JSON.stringify(msg));
    assert.equal(f.error.field, expected.field, JSON.stringify(msg));
    assert.equal(typeof f.error.message, 'string');
  }
  c.ws.send(Buffer.from('{"type":"ping"}'), { binary: true });
  const bin = await c.waitFor((f) => f.type === 'error' && /binary/.test(f.error.message));
  assert.equal(bin.error.code, 'SWIFTLET_ERR_INVALID_INPUT');

  c.send({ type: 'ping', id: 7 });
  assert.deepEqual(await c.waitFor((f) => f.type === 'pong'), { type: 'pong', id: 7 });
  c.send({ type: 'turn', id: 'ok', input: 'still here' });
  assert.equal((await c.turnEnd('ok')).event.outcome, 'final');

  // A frame larger than server.bodyLimitBytes is a protocol violation: the socket closes with 1009.
  c.send({ type: 'turn', id: 'big', input: 'x'.repeat(8192) });
  assert.equal((await c.closed).code, 1009);
});

test('refused turns: FORBIDDEN, OVERLOADED and SESSION_BUSY as error frames', async (t) => {
  const { url, mock } = await startTestGateway(t, {
    keys: { limited: { key: 'k1', agents: ['other'] }, full: 'k2' },
    server: { maxConcurrentTurns: 3 },
    config: { limits: '{ maxQueuedTurnsPerSession: 1 }' },
    mock: {
      faults: [
        { kind: 'stall', afterTokens: 1 },
        { kind: 'stall', afterTokens: 1 },
      ],
    },
  });
  const limited = await WsClient.open(url, { headers: { authorization: 'Bearer k1' } });
  limited.send({ type: 'turn', id: 'f', input: 'hi' });
  const forbidden = await limited.waitFor((f) => f.type === 'error');
  assert.equal(forbidden.id, 'f');
  assert.equal(forbidden.error.code, 'SWIFTLET_ERR_FORBIDDEN');

  const c = await WsClient.open(url, { headers: { authorization: 'Bearer k2' } });
  c.send({ type: 'turn', id: 'run', sessionId: 'ws-busy', input: 'stalls' });
  await c.waitFor(isEvent('run', 'text-delta'));
  // Messages of one socket are taken in order: 'wait' is queued on the session before 'busy' arrives. It is accepted
  // only when it starts, once its input is stored.
  c.send({ type: 'turn', id: 'wait', sessionId: 'ws-busy', input: 'queued' });
  c.send({ type: 'turn', id: 'busy', sessionId: 'ws-busy', input: 'too many' });
  const busy = await c.waitFor((f) => f.type === 'error' && f.id === 'busy');
  assert.equal(busy.error.code, 'SWIFTLET_ERR_SESSION_BUSY');
  assert.equal(typeof busy.error.retryAfterMs, 'number');

  c.send({ type: 'turn', id: 'fill', sessionId: 'ws-fill', input: 'stalls too' });
  await c.waitFor(isEvent('fill', 'text-delta'));
  c.send({ type: 'turn', id: 'over', sessionId: 'ws-other', input: 'no room' });
  const over = await c.waitFor((f) => f.type === 'error' && f.id === 'over');
  assert.equal(over.error.code, 'SWIFTLET_ERR_OVERLOADED');
  assert.equal(typeof over.error.retryAfterMs, 'number');

  // The admission slots come back when the turns end.
  c.send({ type: 'interrupt', sessionId: 'ws-busy' });
  c.send({ type: 'interrupt', sessionId: 'ws-fill' });
  assert.equal((await c.turnEnd('run')).event.outcome, 'interrupted');
  assert.equal((await c.turnEnd('fill')).event.outcome, 'interrupted');
  assert.equal((await c.turnEnd('wait')).event.outcome, 'final');
  const frames = c.frames.map((f) => `${f.type}:${f.id}:${f.event?.type ?? ''}`);
  assert.ok(frames.indexOf('turn-accepted:wait:') > frames.indexOf('event:run:turn-end'), frames.join(' '));
  // Another tenant's key cannot reach this session: its interrupt answers as for an unknown session.
  mock.injectFault({ kind: 'stall', afterTokens: 1 });
  c.send({ type: 'turn', id: 'run2', sessionId: 'ws-busy', input: 'stalls' });
  await c.waitFor(isEvent('run2', 'text-delta'));
  limited.send({ type: 'interrupt', id: 'li', sessionId: 'ws-busy' });
  const denied = await limited.waitFor((f) => f.id === 'li');
  assert.deepEqual(denied, { type: 'interrupt-result', id: 'li', sessionId: 'ws-busy', interrupted: false });
  c.send({ type: 'interrupt', sessionId: 'ws-busy' });
  assert.equal((await c.turnEnd('run2')).event.outcome, 'interrupted', 'the owner could still interrupt it');
  c.send({ type: 'turn', id: 'later', sessionId: 'ws-other', input: 'room now' });
  assert.equal((await c.turnEnd('later')).event.outcome, 'final');
});

test('closing the gateway ends running turns, then closes every socket with 1001', async (t) => {
  const { url, gateway } = await startTestGateway(t, { mock: { faults: [{ kind: 'stall', afterTokens: 1 }] } });
  const busy = await WsClient.open(url);
  const idle = await WsClient.open(url);
  busy.send({ type: 'turn', id: 'r', sessionId: 'ws-shutdown', input: 'stalls' });
  await busy.waitFor(isEvent('r', 'text-delta'));
  await gateway.close({ drainMs: 0 });
  assert.equal((await idle.closed).code, 1001);
  assert.equal((await busy.closed).code, 1001);
  const end = busy.frames.find(isEvent('r', 'turn-end'));
  assert.equal(end?.event.outcome, 'interrupted', 'the turn-end reached the client before the close');
});

test("turn and interrupt messages take tokens from the key's rate limit; past it, an error frame and the socket stays", async (t) => {
  const { url, mock } = await startTestGateway(t, {
    keys: { k: { key: 'rate-key-0123456789', ratePerSec: 0.01, burst: 3 } },
  });
  // The handshake takes the first token; two messages fit in the burst, the rest are refused.
  const c = await WsClient.open(url, { headers: { authorization: 'Bearer rate-key-0123456789' } });
  for (let i = 0; i < 20; i++) c.send({ type: 'turn', id: i, sessionId: `ws-rate-${i}`, input: 'hi' });
  for (let i = 0; i < 20; i++) await c.waitFor((f) => f.id === i && (f.type === 'error' || f.type === 'turn-accepted'));
  const accepted = c.frames.filter((f) => f.type === 'turn-accepted').map((f) => f.id);
  const refused = c.frames.filter((f) => f.type === 'error');
  assert.deepEqual(accepted, [0, 1]);
  assert.equal(refused.length, 18);
  for (const f of refused) {
    assert.equal(f.error.code, 'SWIFTLET_ERR_RATE_LIMITED');
    assert.ok(f.error.retryAfterMs > 0);
  }
  c.send({ type: 'interrupt', id: 'i', sessionId: 'ws-rate-0' });
  assert.equal((await c.waitFor((f) => f.id === 'i')).error.code, 'SWIFTLET_ERR_RATE_LIMITED');
  // Pings are not requests; the socket is still open and answers.
  c.send({ type: 'ping', id: 'p' });
  assert.equal((await c.waitFor((f) => f.id === 'p')).type, 'pong');
  await c.turnEnd(0);
  await c.turnEnd(1);
  assert.equal(mock.requestCount, 2, 'only the admitted turns reached the model');
});
