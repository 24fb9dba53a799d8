// The per-turn output cap (maxOutputBytes): text and tool-call arguments of every step count, in UTF-8 bytes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import type { ModelEvent } from '../../src/core/index.js';
import { defineTool } from '../../src/tools/index.js';
import { OutputMeter } from '../../src/agent/output-cap.js';
import { fakeModel, textAnswer, toolAnswer } from './fake-model.js';
import { agentWith, runTurn } from './harness.js';
import { mockModel } from './mock-support.js';

const echo = defineTool({
  name: 'echo',
  description: 'Echoes.',
  input: z.object({ value: z.unknown() }),
  run: async ({ value }) => value,
});

test('a streamed answer past the cap is cut: the stream is returned, the text before the cap kept', async () => {
  let yielded = 0;
  let returned = false;
  const model = fakeModel([
    async function* () {
      try {
        for (let i = 0; i < 1000; i++) {
          yielded++;
          yield { type: 'text-delta', text: 'é'.repeat(5) } satisfies ModelEvent; // 10 bytes
        }
        yield { type: 'finish', reason: 'stop' } satisfies ModelEvent;
      } finally {
        returned = true;
      }
    },
  ]);
  const { events, entries, end } = await runTurn(agentWith({ model, maxOutputBytes: 95 }), 'talk');
  assert.equal(end.outcome, 'failed');
  assert.equal(end.error?.code, 'SWIFTLET_ERR_OUTPUT_TOO_LARGE');
  assert.match(end.error?.message ?? '', /95 bytes.*agents\.tester\.maxOutputBytes/);
  // Nine deltas fit in 95 bytes; of the tenth, the whole characters within the cap (2 of 5: 4 bytes of the 5 left).
  const kept = 'é'.repeat(47);
  assert.equal(end.text, kept);
  assert.deepEqual(
    events
      .filter((e) => e.type === 'text-delta')
      .map((e) => (e.type === 'text-delta' ? e.text : ''))
      .join(''),
    kept,
  );
  assert.deepEqual(entries.at(-1), { type: 'assistant', text: kept, interrupted: true });
  assert.equal(yielded, 10);
  assert.ok(returned, 'the model stream was returned (its request cancelled)');
});

test('a turn exactly at the cap is not cut', async () => {
  const model = fakeModel([textAnswer('x'.repeat(100))]);
  const { end } = await runTurn(agentWith({ model, maxOutputBytes: 100 }), 'talk');
  assert.equal(end.outcome, 'final');
});

test('steps add up: tool-call arguments count once, streamed or whole, and text of later steps adds to them', async () => {
  const args = { value: 'v'.repeat(50) }; // 62 bytes of JSON
  const argsText = JSON.stringify(args);
  const streamedCall: ModelEvent[] = [
    { type: 'tool-call-delta', index: 0, id: 'c1', name: 'echo', argumentsDelta: argsText.slice(0, 30) },
    { type: 'tool-call-delta', index: 0, argumentsDelta: argsText.slice(30) },
    { type: 'tool-call', call: { id: 'c1', name: 'echo', arguments: argsText } },
    { type: 'finish', reason: 'tool_calls' },
  ];
  const threeSteps = (maxOutputBytes: number) =>
    runTurn(
      agentWith({
        model: fakeModel([
          streamedCall,
          toolAnswer({ id: 'c2', name: 'echo', arguments: args }),
          textAnswer('t'.repeat(70)),
        ]),
        tools: [echo],
        maxOutputBytes,
      }),
      'go',
    );
  // 62 (streamed) + 62 (whole) + 70 text = 194 <= 200: counted once each, the turn ends final.
  const fits = await threeSteps(200);
  assert.equal(fits.end.outcome, 'final');
  assert.equal(fits.end.steps, 3);

  // 124 bytes of arguments, then text passing 150: the third step fails, keeping the 26 bytes of text within the cap.
  const cut = await threeSteps(150);
  assert.equal(cut.end.outcome, 'failed');
  assert.equal(cut.end.error?.code, 'SWIFTLET_ERR_OUTPUT_TOO_LARGE');
  assert.deepEqual(
    cut.entries.map((e) => e.type),
    ['user', 'assistant', 'tool_result', 'assistant', 'tool_result', 'assistant'],
  );
  assert.deepEqual(cut.entries.at(-1), { type: 'assistant', text: 't'.repeat(26), interrupted: true });
});

test('the meter counts arguments once and cuts text on a character boundary', () => {
  const meter = new OutputMeter(10, 'a');
  meter.argumentsDelta('12345');
  meter.call('12345');
  assert.equal(meter.bytes, 5);
  meter.step();
  meter.call('{}'); // a call whose arguments never streamed
  assert.equal(meter.bytes, 7);
  meter.argumentsDelta('ab'); // within the 2 bytes its whole call already counted
  assert.equal(meter.bytes, 7);
  assert.throws(() => meter.argumentsDelta('abcdef'), { code: 'SWIFTLET_ERR_OUTPUT_TOO_LARGE' });
  const text = new OutputMeter(6, 'a');
  assert.equal(text.text('ab'), 'ab');
  assert.equal(text.text('€€'), '€'); // 2 + 3 fit, the second euro sign (3 more bytes) does not
  assert.ok(text.passed);
  assert.equal(new OutputMeter(3, 'a').text('😀'), '');
});

test('a step cut inside a tool call keeps the calls completed before it, each with an interrupted result', async () => {
  const model = fakeModel([
    [
      { type: 'text-delta', text: 'calling' },
      { type: 'tool-call', call: { id: 'c1', name: 'echo', arguments: '{"value":1}' } },
      { type: 'tool-call-delta', index: 1, id: 'c2', name: 'echo', argumentsDelta: '{"value":"' + 'x'.repeat(100) },
      { type: 'finish', reason: 'tool_calls' },
    ],
  ]);
  const { entries, end } = await runTurn(agentWith({ model, tools: [echo], maxOutputBytes: 50 }), 'go');
  assert.equal(end.error?.code, 'SWIFTLET_ERR_OUTPUT_TOO_LARGE');
  assert.deepEqual(entries.slice(1), [
    {
      type: 'assistant',
      text: 'calling',
      toolCalls: [{ id: 'c1', name: 'echo', arguments: '{"value":1}' }],
      interrupted: true,
    },
    {
      type: 'tool_result',
      callId: 'c1',
      name: 'echo',
      output: 'interrupted: the turn was stopped before this tool call finished',
      isError: true,
    },
  ]);
});

test('over real HTTP: the mock stops sending once the cap is passed; a whole answer keeps its first bytes', async (t) => {
  const words = Array.from({ length: 2000 }, (_, i) => `word${i}`).join(' ');
  const { mock, model } = await mockModel(t, { tokenDelayMs: 1, script: [{ text: words }] });
  const agent = agentWith({ model, maxOutputBytes: 300 });
  const streamed = await runTurn(agent, 'talk');
  assert.equal(streamed.end.error?.code, 'SWIFTLET_ERR_OUTPUT_TOO_LARGE');
  assert.equal(streamed.end.text, words.slice(0, 300));
  assert.deepEqual(streamed.entries.at(-1), { type: 'assistant', text: words.slice(0, 300), interrupted: true });
  await mock.waitFor((r) => r.clientClosed, 5000);

  const whole = await runTurn(agent, 'talk', { stream: false });
  assert.equal(whole.end.error?.code, 'SWIFTLET_ERR_OUTPUT_TOO_LARGE');
  assert.equal(whole.end.text, words.slice(0, 300));
  assert.equal(mock.requests.at(-1)?.stream, false);
});
