// The turn loop against a scripted in-process model: the paths the real mock server cannot easily produce.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { z } from 'zod';
import { SwiftletError, type Entry, type ModelRequest } from '../../src/core/index.js';
import { defineTool, createBuiltinTool } from '../../src/tools/index.js';
import { capBytes } from '../../src/agent/index.js';
import { fakeModel, textAnswer, toolAnswer } from './fake-model.js';
import { agentWith, latch, runTurn } from './harness.js';

const echo = defineTool({
  name: 'echo',
  description: 'Echoes.',
  input: z.object({ value: z.unknown() }),
  run: async ({ value }) => value,
});

test('a plain answer ends the turn as final', async () => {
  const model = fakeModel([textAnswer('hello')]);
  const agent = agentWith({ model, tools: [echo], temperature: 0.2, maxTokens: 99 });
  const { events, entries, end } = await runTurn(agent, 'hi');
  assert.deepEqual(entries, [
    { type: 'user', text: 'hi' },
    { type: 'assistant', text: 'hello' },
  ]);
  assert.deepEqual(
    events.map((e) => e.type),
    ['text-delta', 'step-finish'],
  );
  assert.deepEqual(end, {
    type: 'turn-end',
    turnId: 'turn_test',
    sessionId: 'ses_test',
    outcome: 'final',
    text: 'hello',
    usage: { inputTokens: 10, outputTokens: 2 },
    steps: 1,
  });
  const req = model.requests[0]!;
  assert.equal(req.model, 'mock-1');
  assert.equal(req.system, 'You are a test.');
  assert.equal(req.temperature, 0.2);
  assert.equal(req.maxTokens, 99);
  assert.deepEqual(req.tools, agent.toolSpecs);
  assert.deepEqual(req.messages, [{ role: 'user', content: 'hi' }]);
});

test('tool outputs: strings as is, values as JSON, long ones capped with a note', async () => {
  const model = fakeModel([
    toolAnswer(
      { id: 'a', name: 'echo', arguments: { value: 'plain' } },
      { id: 'b', name: 'echo', arguments: { value: { n: 1 } } },
      { id: 'c', name: 'echo', arguments: { value: 'é'.repeat(100) } },
    ),
    textAnswer('done'),
  ]);
  const agent = agentWith({ model, tools: [echo], maxToolOutputBytes: 51 });
  const { end } = await runTurn(agent, 'go');
  assert.equal(end.outcome, 'final');
  assert.deepEqual(end.usage, { inputTokens: 15, outputTokens: 3 });
  const tools = model.requests[1]!.messages.filter((m) => m.role === 'tool');
  assert.deepEqual(
    tools.map((m) => m.content.split('\n')[0]),
    ['plain', '{"n":1}', 'é'.repeat(25)],
  );
  assert.match(tools[2]!.content, /\[output truncated: 200 bytes, only the first 51 are shown\]$/);
  assert.equal(capBytes('short', 5), 'short');
});

test('bad calls become error results the model can read; the turn goes on', async () => {
  const boom = defineTool({
    name: 'boom',
    description: 'Fails.',
    input: z.object({ sync: z.boolean() }),
    run: ({ sync }) => {
      if (sync) throw new Error('sync failure');
      return Promise.reject(new SwiftletError('SWIFTLET_ERR_TOOL_FAILED', 'async failure'));
    },
  });
  const cyclic = defineTool({
    name: 'cyclic',
    description: 'Returns something JSON cannot hold.',
    input: z.object({}),
    run: async () => ({ big: 1n }),
  });
  const model = fakeModel([
    toolAnswer(
      { id: 'a', name: 'nope', arguments: {} },
      { id: 'b', name: 'echo', arguments: '{"value": ' },
      { id: 'c', name: 'boom', arguments: { sync: true } },
      { id: 'd', name: 'boom', arguments: { sync: false } },
      { id: 'e', name: 'cyclic', arguments: '' },
      { id: 'f', name: 'boom', arguments: { sync: 'yes' } },
    ),
    textAnswer('recovered'),
  ]);
  const { end, entries } = await runTurn(agentWith({ model, tools: [echo, boom, cyclic] }), 'go');
  assert.equal(end.outcome, 'final');
  const results = model.requests[1]!.messages.filter((m) => m.role === 'tool');
  assert.ok(results.every((m) => m.isError === true));
  assert.deepEqual(
    results.map((m) => m.callId),
    ['a', 'b', 'c', 'd', 'e', 'f'],
  );
  const [a, b, c, d, e, f] = results.map((m) => m.content);
  assert.equal(a, 'unknown tool "nope"; available tools: echo, boom, cyclic');
  assert.match(b!, /^invalid arguments for echo: not valid JSON/);
  assert.equal(c, 'the tool failed: sync failure');
  assert.equal(d, 'the tool failed: async failure');
  assert.match(e!, /could not be serialised/);
  assert.match(f!, /^invalid arguments for boom: sync: .*expected boolean/);
  assert.equal(entries.filter((x) => x.type === 'tool_result').length, 6);
});

test('tool diagnostics are published when someone listens', async () => {
  const seen: unknown[] = [];
  const onStart = (msg: unknown) => seen.push(['start', msg]);
  const onEnd = (msg: unknown) => seen.push(['end', msg]);
  subscribe('swiftlet:tool:start', onStart);
  subscribe('swiftlet:tool:end', onEnd);
  try {
    const model = fakeModel([toolAnswer({ id: 'a', name: 'echo', arguments: { value: 1 } }), textAnswer('ok')]);
    await runTurn(agentWith({ model, tools: [echo] }), 'go');
  } finally {
    unsubscribe('swiftlet:tool:start', onStart);
    unsubscribe('swiftlet:tool:end', onEnd);
  }
  assert.equal(seen.length, 2);
  assert.deepEqual(seen[0], ['start', { tool: 'echo', callId: 'a', sessionId: 'ses_test', turnId: 'turn_test' }]);
  const [kind, end] = seen[1] as [string, { tool: string; callId: string; durationMs: number; outcome: string }];
  assert.equal(kind, 'end');
  assert.equal(end.outcome, 'ok');
  assert.equal(end.callId, 'a');
  assert.equal(typeof end.durationMs, 'number');
});

test('an interrupt does not wait for a tool that ignores its signal', async () => {
  const started = latch();
  const stubborn = defineTool({
    name: 'stubborn',
    description: 'Never finishes.',
    input: z.object({}),
    run: () => {
      started.resolve();
      return new Promise(() => {});
    },
  });
  const controller = new AbortController();
  void started.promise.then(() => controller.abort());
  const model = fakeModel([toolAnswer({ id: 'a', name: 'stubborn', arguments: {} })]);
  const { end, entries } = await runTurn(agentWith({ model, tools: [stubborn] }), 'go', { signal: controller.signal });
  assert.equal(end.outcome, 'interrupted');
  assert.deepEqual(entries.at(-1), {
    type: 'tool_result',
    callId: 'a',
    name: 'stubborn',
    output: 'interrupted: the turn was stopped before this tool call finished',
    isError: true,
  });
});

test('an already aborted turn makes no model call', async () => {
  const model = fakeModel([]);
  const controller = new AbortController();
  controller.abort();
  const { end, entries } = await runTurn(agentWith({ model }), 'go', { signal: controller.signal });
  assert.equal(end.outcome, 'interrupted');
  assert.equal(end.steps, 0);
  assert.equal(model.requests.length, 0);
  assert.deepEqual(entries, [{ type: 'user', text: 'go' }]);
});

test('a stream that ends without finishing fails the turn', async () => {
  const model = fakeModel([[{ type: 'text-delta', text: 'half' }]]);
  const { end, entries } = await runTurn(agentWith({ model }), 'go');
  assert.equal(end.outcome, 'failed');
  assert.equal(end.error?.code, 'SWIFTLET_ERR_MODEL_RESPONSE');
  assert.deepEqual(entries.at(-1), { type: 'assistant', text: 'half', interrupted: true });
});

test('todo state set by tools reaches the caller; agents refuse duplicate tool names', async () => {
  const model = fakeModel([
    toolAnswer({ id: 'a', name: 'todo', arguments: { action: 'add', text: 'x' } }),
    textAnswer('ok'),
  ]);
  const agent = agentWith({ model, tools: [createBuiltinTool({ name: 'todo' })] });
  const { state } = await runTurn(agent, 'go');
  assert.deepEqual(state.get('todo'), [{ id: 1, text: 'x', status: 'pending' }]);
  assert.throws(
    () => agentWith({ model, tools: [echo, echo] }),
    (err) => SwiftletError.isInstance(err) && err.code === 'SWIFTLET_ERR_CONFIG_INVALID',
  );
});

test('one agent serves concurrent turns of different sessions without sharing state', async () => {
  // Answers by looking at the request: a user message last asks for a todo add of that text, else a final answer.
  const model = fakeModel(
    Array.from({ length: 4 }, () => (request: ModelRequest) => {
      const last = request.messages.at(-1)!;
      const events =
        last.role === 'user'
          ? toolAnswer({ id: `call_${last.content}`, name: 'todo', arguments: { action: 'add', text: last.content } })
          : textAnswer(`done ${last.role === 'tool' ? last.content : ''}`);
      return (async function* () {
        yield* events;
      })();
    }),
  );
  const agent = agentWith({ model, tools: [createBuiltinTool({ name: 'todo' })] });
  const [a, b] = await Promise.all([runTurn(agent, 'alpha'), runTurn(agent, 'beta')]);
  assert.deepEqual(a.state.get('todo'), [{ id: 1, text: 'alpha', status: 'pending' }]);
  assert.deepEqual(b.state.get('todo'), [{ id: 1, text: 'beta', status: 'pending' }]);
  assert.equal(a.end.text, 'done [{"id":1,"text":"alpha","status":"pending"}]');
  assert.equal(b.end.text, 'done [{"id":1,"text":"beta","status":"pending"}]');
});

test('the next turn sends the messages the previous turn recorded, calls followed by their results', async () => {
  const model = fakeModel([
    toolAnswer({ id: 'a', name: 'echo', arguments: { value: 1 } }, { id: 'b', name: 'echo', arguments: { value: 2 } }),
    textAnswer('done'),
    textAnswer('again'),
  ]);
  const agent = agentWith({ model, tools: [echo] });
  const first = await runTurn(agent, 'go');
  const history = first.entries.map((e, i) => ({ ...e, v: 1, turnId: 'turn_test', at: 0, seq: i + 1 }) as Entry);
  await runTurn(agent, 'more', { history });
  // What the second step of the first turn sent, plus its answer, then the new input.
  const sent = model.requests[2]!.messages;
  assert.deepEqual(sent, [
    ...model.requests[1]!.messages,
    { role: 'assistant', content: 'done' },
    { role: 'user', content: 'more' },
  ]);
  assert.deepEqual(
    sent.map((m) => m.role),
    ['user', 'assistant', 'tool', 'tool', 'assistant', 'user'],
  );
});
