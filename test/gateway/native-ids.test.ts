import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ENTRY_VERSION, type Entry, type EntryData, type TurnEvent } from '../../src/core/index.js';
import {
  EventIdAssigner,
  compareIds,
  eventsAfter,
  formatId,
  parseId,
  rebuildTurn,
  type SeqEvent,
} from '../../src/gateway/native/event-ids.js';
import { LiveTurn, MAX_BUFFER_BYTES } from '../../src/gateway/native/live-turn.js';
import { waitUntil } from './native-support.js';

const T = 'turn_1';
const S = 'ses_1';
const usage = { inputTokens: 3, outputTokens: 4 };
const call = { id: 'c1', name: 'todo', arguments: '{"action":"list"}' };

function entries(data: EntryData[]): Entry[] {
  return data.map((d, i) => ({ ...d, v: ENTRY_VERSION, turnId: T, at: 1000 + i, seq: 10 + i }) as Entry);
}

// A two-step turn whose model sent text after its tool call (the rare interleaving), as the runtime streams it...
const live: TurnEvent[] = [
  { type: 'turn-start', turnId: T, sessionId: S, agent: 'assistant' },
  { type: 'text-delta', turnId: T, step: 1, text: 'Hel' },
  { type: 'tool-call', turnId: T, step: 1, call },
  { type: 'text-delta', turnId: T, step: 1, text: '' },
  { type: 'text-delta', turnId: T, step: 1, text: 'lo' },
  { type: 'tool-result', turnId: T, step: 1, callId: 'c1', name: 'todo', output: '[]', isError: false },
  { type: 'step-finish', turnId: T, step: 1, finishReason: 'tool_calls', usage },
  { type: 'text-delta', turnId: T, step: 2, text: 'Do' },
  { type: 'text-delta', turnId: T, step: 2, text: 'ne' },
  { type: 'step-finish', turnId: T, step: 2, finishReason: 'stop', usage },
  { type: 'turn-end', turnId: T, sessionId: S, outcome: 'final', text: 'Hello\n\nDone', usage, steps: 2 },
];
// ...and as its log holds it.
const log = entries([
  { type: 'turn_start', agent: 'assistant' },
  { type: 'user', text: 'hi' },
  { type: 'assistant', text: 'Hello', toolCalls: [call] },
  { type: 'state', key: 'todo', value: [] },
  { type: 'tool_result', callId: 'c1', name: 'todo', output: '[]' },
  { type: 'assistant', text: 'Done' },
  { type: 'turn_end', outcome: 'final', usage, steps: 2 },
]);

function assign(events: TurnEvent[]): SeqEvent[][] {
  const ids = new EventIdAssigner();
  return events.map((e) => ids.next(e));
}

test('live ids only grow; a tool call is sent once its step text is complete', () => {
  const batches = assign(live);
  const flat = batches.flat();
  assert.deepEqual(
    flat.map((e) => `${formatId(e.id)} ${e.event.type}`),
    [
      '0.0 turn-start',
      '1.3 text-delta',
      '1.5 text-delta',
      '1.6 tool-call',
      '1.7 tool-result',
      '1.8 step-finish',
      '2.2 text-delta',
      '2.4 text-delta',
      '2.5 step-finish',
      '3.0 turn-end',
    ],
  );
  for (let i = 1; i < flat.length; i++) assert.ok(compareIds(flat[i - 1]!.id, flat[i]!.id) < 0);
  // The tool call waited for the tool result, which came after the rest of the text.
  assert.deepEqual(batches[2], []);
  assert.deepEqual(
    batches[5]!.map((e) => e.event.type),
    ['tool-call', 'tool-result'],
  );
});

test('the log rebuilds the same ids, one text-delta per step, and no step-finish', () => {
  const rebuilt = rebuildTurn(log, S);
  assert.deepEqual(
    rebuilt.map((e) => `${formatId(e.id)} ${e.event.type}`),
    ['0.0 turn-start', '1.5 text-delta', '1.6 tool-call', '1.7 tool-result', '2.4 text-delta', '3.0 turn-end'],
  );
  // Live events merged per step, step-finish left out: exactly the rebuilt stream.
  const merged: SeqEvent[] = [];
  for (const e of assign(live).flat()) {
    const last = merged.at(-1);
    if (e.event.type === 'step-finish') continue;
    if (e.event.type === 'text-delta' && last?.event.type === 'text-delta' && last.id[0] === e.id[0]) {
      merged[merged.length - 1] = { id: e.id, event: { ...e.event, text: last.event.text + e.event.text } };
    } else merged.push(e);
  }
  assert.deepEqual(merged, rebuilt);
});

test('events after an id inside a step text: the unseen rest of that text, then the rest', () => {
  const rebuilt = rebuildTurn(log, S);
  const after = eventsAfter(rebuilt, parseId('1.3'));
  assert.deepEqual(after[0], { id: [1, 5], event: { type: 'text-delta', turnId: T, step: 1, text: 'lo' } });
  assert.deepEqual(
    after.map((e) => formatId(e.id)),
    ['1.5', '1.6', '1.7', '2.4', '3.0'],
  );
  // A step-finish id (only live streams have them) resumes at the next step.
  assert.deepEqual(
    eventsAfter(rebuilt, parseId('1.8')).map((e) => formatId(e.id)),
    ['2.4', '3.0'],
  );
  assert.deepEqual(eventsAfter(rebuilt, parseId('3.0')), []);
  assert.equal(eventsAfter(rebuilt, undefined).length, rebuilt.length);
  for (const bad of ['', '1', '1.', 'a.b', '1.2.3', '-1.0', '1.0 ']) assert.equal(parseId(bad), undefined, bad);
});

test("a last step that failed before any reply adds no text: the earlier steps' on both sides", () => {
  const failed = entries([
    { type: 'turn_start', agent: 'assistant' },
    { type: 'user', text: 'hi' },
    { type: 'assistant', text: 'thinking', toolCalls: [call] },
    { type: 'tool_result', callId: 'c1', name: 'todo', output: '[]' },
    { type: 'turn_end', outcome: 'failed', usage, steps: 2, error: { code: 'SWIFTLET_ERR_MODEL_HTTP', message: 'x' } },
  ]);
  const end = rebuildTurn(failed, S).at(-1)!;
  assert.deepEqual(end.id, [3, 0]);
  assert.equal(end.event.type === 'turn-end' && end.event.text, 'thinking');
  const ids = new EventIdAssigner();
  const liveEnd = ids.next({
    type: 'turn-end',
    turnId: T,
    sessionId: S,
    outcome: 'failed',
    text: 'thinking',
    usage,
    steps: 2,
  });
  assert.deepEqual(liveEnd[0]!.id, [3, 0]);
});

test('LiveTurn: text merges per step; readers resume mid-text; follow ends at turn-end', async () => {
  const turn = new LiveTurn('local', S, T);
  const ids = new EventIdAssigner();
  const noLog = async (): Promise<Entry[]> => assert.fail('the log is not needed');
  const ac = new AbortController();
  const seen: SeqEvent[] = [];
  const reader = (async () => {
    for await (const e of turn.follow(undefined, ac.signal, noLog)) seen.push(e);
  })();
  for (const e of live) turn.add(ids.next(e));
  turn.finish(live.at(-1) as Extract<TurnEvent, { type: 'turn-end' }>);
  await reader;
  assert.equal(seen.at(-1)!.event.type, 'turn-end');
  const text = seen.flatMap((e) => (e.event.type === 'text-delta' && e.event.step === 1 ? [e.event.text] : []));
  assert.equal(text.join(''), 'Hello');

  const rest = await turn.after(parseId('1.3'), noLog);
  assert.deepEqual(rest[0]!.event, { type: 'text-delta', turnId: T, step: 1, text: 'lo' });
  assert.deepEqual(
    rest.map((e) => formatId(e.id)),
    ['1.5', '1.6', '1.7', '1.8', '2.4', '2.5', '3.0'],
  );
});

test('LiveTurn: bounded; events dropped from memory come back from the log', async () => {
  const big = 'x'.repeat(4096);
  const results: EntryData[] = [];
  for (let i = 0; i < 200; i++) results.push({ type: 'tool_result', callId: `c${i}`, name: 'todo', output: big });
  const calls = results.map((_, i) => ({ id: `c${i}`, name: 'todo', arguments: '{}' }));
  const turnLog = entries([
    { type: 'turn_start', agent: 'assistant' },
    { type: 'assistant', text: 'calling', toolCalls: calls },
    ...results,
  ]);
  const turn = new LiveTurn('local', S, T);
  const all = rebuildTurn(turnLog, S);
  for (const e of all) turn.add([e]);
  assert.ok(turn.bytes <= MAX_BUFFER_BYTES, `${turn.bytes} bytes buffered`);
  let reads = 0;
  const readLog = async (): Promise<Entry[]> => {
    reads++;
    return turnLog;
  };
  assert.deepEqual(await turn.after(undefined, readLog), all);
  assert.equal(reads, 1);
  // Recent events need no log read.
  const lastTwo = await turn.after(all.at(-3)!.id, readLog);
  assert.deepEqual(lastTwo, all.slice(-2));
  assert.equal(reads, 1);
});

test('LiveTurn: a reader that aborts stops waiting', async () => {
  const turn = new LiveTurn('local', S, T);
  turn.add(new EventIdAssigner().next(live[0]!));
  const ac = new AbortController();
  const seen: SeqEvent[] = [];
  const reader = (async () => {
    for await (const e of turn.follow(undefined, ac.signal, async () => [])) seen.push(e);
  })();
  await waitUntil(() => seen.length === 1, 'the first event');
  ac.abort();
  await reader;
  assert.equal(seen.length, 1);
  assert.equal(turn.ended, false);
});

test('tool progress is sent after its call, with the id of the event before it (live only, never replayed)', () => {
  const progress = (text: string): TurnEvent => ({
    type: 'tool-progress',
    turnId: T,
    step: 1,
    callId: 'c1',
    name: 'shell',
    text,
  });
  const flat = assign([
    live[0]!,
    live[1]!,
    live[2]!,
    progress('a'),
    progress('b'),
    { type: 'tool-result', turnId: T, step: 1, callId: 'c1', name: 'shell', output: 'ab', isError: false },
  ]).flat();
  assert.deepEqual(
    flat.map((e) => `${formatId(e.id)} ${e.event.type}`),
    ['0.0 turn-start', '1.3 text-delta', '1.4 tool-call', '1.4 tool-progress', '1.4 tool-progress', '1.5 tool-result'],
  );
});
