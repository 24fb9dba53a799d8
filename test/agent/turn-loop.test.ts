// The turn loop end to end: an OpenAI client over real HTTP to the mock LLM, real tools.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import type { TurnEvent } from '../../src/core/index.js';
import { createBuiltinTool, defineTool } from '../../src/tools/index.js';
import { agentWith, latch, runTurn } from './harness.js';
import { mockModel, wireMessages } from './mock-support.js';

const todo = createBuiltinTool({ name: 'todo' });

test('tool call, result, final answer: entries recorded in order', async (t) => {
  const { mock, model } = await mockModel(t, {
    script: [{ toolCalls: [{ name: 'todo', arguments: { action: 'add', text: 'buy milk' } }] }, { text: 'Added it.' }],
  });
  const { events, entries, end, state } = await runTurn(agentWith({ model, tools: [todo] }), 'remember milk');

  assert.equal(end.outcome, 'final');
  assert.equal(end.text, 'Added it.');
  assert.equal(end.steps, 2);
  assert.ok(end.usage.inputTokens > 0 && end.usage.outputTokens > 0);
  assert.deepEqual(
    entries.map((e) => e.type),
    ['user', 'assistant', 'tool_result', 'assistant'],
  );
  const [, ask, result, answer] = entries;
  assert.ok(ask?.type === 'assistant' && result?.type === 'tool_result' && answer?.type === 'assistant');
  const call = ask.toolCalls?.[0];
  assert.equal(call?.name, 'todo');
  assert.equal(result.callId, call.id);
  assert.deepEqual(JSON.parse(result.output), [{ id: 1, text: 'buy milk', status: 'pending' }]);
  assert.equal(answer.text, 'Added it.');
  assert.deepEqual(state.get('todo'), [{ id: 1, text: 'buy milk', status: 'pending' }]);

  const kinds = events.map((e) => e.type).filter((k, i, all) => k !== 'text-delta' || all[i - 1] !== 'text-delta');
  assert.deepEqual(kinds, ['tool-call', 'tool-result', 'step-finish', 'text-delta', 'step-finish']);
  // The second request carried the call and its result back to the model.
  const second = wireMessages(mock, 1);
  assert.deepEqual(
    second.map((m) => m.role),
    ['system', 'user', 'assistant', 'tool'],
  );
  assert.equal(second[3]?.tool_call_id, call.id);
  assert.equal(second[3]?.content, result.output);
});

test('tool calls of one step run concurrently', async (t) => {
  const started = { left: latch(), right: latch() };
  // Each tool finishes only once the other has started: run one after the other, the first would time out.
  const meet = (name: 'left' | 'right', other: 'left' | 'right') =>
    defineTool({
      name,
      description: `Waits for ${other}.`,
      input: z.object({}),
      run: async () => {
        started[name].resolve();
        await started[other].promise;
        return `${name} met ${other}`;
      },
    });
  const { model } = await mockModel(t, {
    script: [
      {
        toolCalls: [
          { name: 'left', arguments: {} },
          { name: 'right', arguments: {} },
        ],
      },
      { text: 'both' },
    ],
  });
  const agent = agentWith({ model, tools: [meet('left', 'right'), meet('right', 'left')], toolTimeoutMs: 5000 });
  const { entries, end } = await runTurn(agent, 'go');
  assert.equal(end.outcome, 'final');
  const outputs = entries.flatMap((e) => (e.type === 'tool_result' ? [[e.output, e.isError ?? false]] : []));
  assert.deepEqual(outputs.sort(), [
    ['left met right', false],
    ['right met left', false],
  ]);
});

test("a tool's progress streams as tool-progress events between its call and result, and is not recorded", async (t) => {
  let late: (() => void) | undefined;
  const chatty = defineTool({
    name: 'chatty',
    description: 'Reports as it goes.',
    input: z.object({}),
    run: async (_input, ctx) => {
      ctx.progress({ text: 'one\n', stream: 'stdout' });
      ctx.progress({ text: 'two\n', stream: 'stderr' });
      late = () => ctx.progress({ text: 'after the end' });
      return 'done';
    },
  });
  const { model } = await mockModel(t, {
    script: [{ toolCalls: [{ name: 'chatty', arguments: {} }] }, { text: 'ok' }],
  });
  const { events, entries, end } = await runTurn(agentWith({ model, tools: [chatty] }), 'go');
  assert.equal(end.outcome, 'final');
  const tooling = events.filter((e) => e.type.startsWith('tool-'));
  assert.deepEqual(
    tooling.map((e) => (e.type === 'tool-progress' ? `${e.type} ${e.name} ${e.stream} ${e.text.trim()}` : e.type)),
    ['tool-call', 'tool-progress chatty stdout one', 'tool-progress chatty stderr two', 'tool-result'],
  );
  assert.ok(tooling.every((e) => e.type !== 'tool-progress' || (e.step === 1 && e.callId.length > 0)));
  assert.ok(!JSON.stringify(entries).includes('one\\n'), 'progress is not in the session log');
  const count = events.length;
  late!();
  assert.equal(events.length, count, 'progress after the turn ended is dropped');
});

test('a tool past its timeout gets the abort and an error result', async (t) => {
  let sawAbort = false;
  const slow = defineTool({
    name: 'slow',
    description: 'Waits for its signal.',
    input: z.object({}),
    timeoutMs: 100,
    run: (_input, ctx) =>
      new Promise((_resolve, reject) => {
        ctx.signal.addEventListener('abort', () => {
          sawAbort = true;
          reject(new Error('stopped'));
        });
      }),
  });
  const { mock, model } = await mockModel(t, {
    script: [{ toolCalls: [{ name: 'slow', arguments: {} }] }, { text: 'gave up' }],
  });
  const { entries, end } = await runTurn(agentWith({ model, tools: [slow] }), 'go');
  assert.equal(end.outcome, 'final');
  const result = entries.find((e) => e.type === 'tool_result');
  assert.deepEqual(result && { output: result.output, isError: result.isError }, {
    output: 'slow timed out after 100 ms',
    isError: true,
  });
  assert.ok(sawAbort);
  assert.equal(wireMessages(mock, 1).at(-1)?.content, 'slow timed out after 100 ms');
});

test('invalid and unknown tool calls go back to the model as error results', async (t) => {
  const { mock, model } = await mockModel(t, {
    script: [
      {
        toolCalls: [
          { name: 'todo', arguments: '{"action": "fly"}' },
          { name: 'todo', arguments: '{"action": ' },
          { name: 'ghost', arguments: {} },
        ],
      },
      { text: 'sorry' },
    ],
  });
  const { end, state } = await runTurn(agentWith({ model, tools: [todo] }), 'go');
  assert.equal(end.outcome, 'final');
  assert.equal(state.size, 0);
  const results = wireMessages(mock, 1).filter((m) => m.role === 'tool');
  assert.equal(results.length, 3);
  assert.match(results[0]!.content!, /^invalid arguments for todo: action: Invalid option: expected one of "add"/);
  assert.match(results[1]!.content!, /^invalid arguments for todo: not valid JSON/);
  assert.equal(results[2]!.content, 'unknown tool "ghost"; available tools: todo');
});

test('a turn still asking for tools after maxSteps ends as max_steps with pairs complete', async (t) => {
  const list = { name: 'todo', arguments: { action: 'list' } };
  const { mock, model } = await mockModel(t, {
    script: [{ toolCalls: [list] }, { toolCalls: [list] }, { text: 'never reached' }],
  });
  const { entries, end } = await runTurn(agentWith({ model, tools: [todo], maxSteps: 2 }), 'loop');
  assert.equal(end.outcome, 'max_steps');
  assert.equal(end.steps, 2);
  assert.equal(mock.requestCount, 2);
  assert.deepEqual(
    entries.map((e) => e.type),
    ['user', 'assistant', 'tool_result', 'assistant', 'tool_result'],
  );
});

test('an interrupt mid-stream keeps the partial text and closes the provider connection', async (t) => {
  const words = Array.from({ length: 40 }, (_, i) => `word${i}`).join(' ');
  const { mock, model } = await mockModel(t, { tokenDelayMs: 20, script: [{ text: words }] });
  const controller = new AbortController();
  const onEvent = (e: TurnEvent) => {
    if (e.type === 'text-delta') controller.abort();
  };
  const { events, entries, end } = await runTurn(agentWith({ model }), 'talk', { signal: controller.signal, onEvent });
  assert.equal(end.outcome, 'interrupted');
  const streamed = events.flatMap((e) => (e.type === 'text-delta' ? [e.text] : [])).join('');
  assert.ok(streamed.length > 0 && streamed.length < words.length);
  assert.equal(end.text, streamed);
  assert.deepEqual(entries.at(-1), { type: 'assistant', text: streamed, interrupted: true });
  assert.equal(events.at(-1)?.type, 'text-delta');
  await mock.waitFor((r) => r.clientClosed, 5000);
});

test('an interrupt during a tool aborts it and records interrupted results', async (t) => {
  const started = latch();
  let reason: unknown;
  const wait = defineTool({
    name: 'wait',
    description: 'Waits until aborted.',
    input: z.object({}),
    run: (_input, ctx) =>
      new Promise((_resolve, reject) => {
        started.resolve();
        ctx.signal.addEventListener('abort', () => {
          reason = ctx.signal.reason;
          reject(new Error('aborted'));
        });
      }),
  });
  const { mock, model } = await mockModel(t, {
    script: [
      {
        toolCalls: [
          { name: 'wait', arguments: {} },
          { name: 'todo', arguments: { action: 'list' } },
        ],
      },
    ],
  });
  const controller = new AbortController();
  void started.promise.then(() => controller.abort(new Error('user pressed stop')));
  const { entries, end } = await runTurn(agentWith({ model, tools: [wait, todo] }), 'go', {
    signal: controller.signal,
  });
  assert.equal(end.outcome, 'interrupted');
  assert.equal(end.steps, 1);
  assert.equal((reason as Error | undefined)?.message, 'user pressed stop');
  const ask = entries.find((e) => e.type === 'assistant');
  const results = entries.filter((e) => e.type === 'tool_result');
  // Every call has exactly one result; the one that was cut short says so.
  assert.deepEqual(
    results.map((r) => r.callId).sort(),
    (ask?.type === 'assistant' ? (ask.toolCalls ?? []) : []).map((c) => c.id).sort(),
  );
  const waited = results.find((r) => r.name === 'wait');
  assert.deepEqual(waited && [waited.output, waited.isError], [
    'interrupted: the turn was stopped before this tool call finished',
    true,
  ]);
  assert.equal(mock.requestCount, 1);
});

test('a model failure ends the turn as failed with the error code', async (t) => {
  const { model } = await mockModel(t, { faults: [{ kind: 'status', status: 500 }] });
  const { entries, end } = await runTurn(agentWith({ model }), 'go');
  assert.equal(end.outcome, 'failed');
  assert.equal(end.error?.code, 'SWIFTLET_ERR_MODEL_HTTP');
  assert.deepEqual(entries, [{ type: 'user', text: 'go' }]);
});

test('a stream cut by the provider keeps the partial text, marked interrupted', async (t) => {
  const { model } = await mockModel(t, {
    script: [{ text: 'one two three four five six seven eight' }],
    faults: [{ kind: 'disconnect', afterTokens: 3 }],
  });
  const { entries, end } = await runTurn(agentWith({ model }), 'go');
  assert.equal(end.outcome, 'failed');
  assert.match(end.error?.code ?? '', /^SWIFTLET_ERR_MODEL_/);
  const last = entries.at(-1);
  assert.ok(last?.type === 'assistant' && last.interrupted === true && last.text.startsWith('one two'));
  assert.equal(end.text, last.text);
});
