import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ModelRequest } from '../../src/core/index.js';
import { createModelClient, startMockLlm } from '../../src/model/index.js';
import type { MockLlm, ModelClient } from '../../src/model/index.js';
import { argumentDeltas, collect, finishOf, mockOptions, textOf, toolCallsOf, usageOf } from './support.js';

const WEATHER = { name: 'get_weather', arguments: { city: 'Paris', unit: 'celsius' } };
const TIME = { name: 'get_time', arguments: { tz: 'Europe/Paris' } };
const TOOLS = [
  { name: 'get_weather', description: 'Weather by city', parameters: { type: 'object' } },
  { name: 'get_time', description: 'Time in a zone', parameters: { type: 'object' } },
];

describe('OpenAI Chat Completions client against the mock LLM', () => {
  let mock: MockLlm;
  let client: ModelClient;
  const signal = new AbortController().signal;

  before(async () => {
    mock = await startMockLlm({});
    client = createModelClient(mockOptions('openai', mock));
  });
  after(async () => {
    await client.close();
    await mock.close();
  });
  beforeEach(() => mock.reset());

  const ask = (extra: Partial<ModelRequest> = {}): ModelRequest => ({
    model: 'gpt-test',
    system: 'Be brief.',
    messages: [{ role: 'user', content: 'Say hello' }],
    ...extra,
  });

  test('streams text, then usage, then one finish', async () => {
    mock.configure({ script: [{ text: 'Hello from the mock model' }] });
    const events = await collect(client.stream(ask(), signal));
    assert.equal(textOf(events), 'Hello from the mock model');
    assert.ok(events.filter((e) => e.type === 'text-delta').length >= 5, 'one delta per token');
    assert.equal(finishOf(events).reason, 'stop');
    const usage = usageOf(events);
    assert.equal(usage.outputTokens, 5);
    assert.ok(usage.inputTokens > 0);
    const body = mock.requests[0]?.body as Record<string, unknown>;
    assert.equal(body.stream, true);
    assert.deepEqual(body.stream_options, { include_usage: true });
    assert.deepEqual((body.messages as unknown[])[0], { role: 'system', content: 'Be brief.' });
  });

  test('answers a non-streaming request with the same events', async () => {
    mock.configure({ script: [{ text: 'Hello from the mock model' }] });
    const events = await collect(client.stream(ask({ stream: false }), signal));
    assert.deepEqual(
      events.map((e) => e.type),
      ['text-delta', 'usage', 'finish'],
    );
    assert.equal(textOf(events), 'Hello from the mock model');
    assert.equal(finishOf(events).reason, 'stop');
    assert.equal(usageOf(events).outputTokens, 5);
    assert.equal(mock.requests[0]?.stream, false);
    assert.equal((mock.requests[0]?.body as Record<string, unknown>).stream_options, undefined);
  });

  test('streams two parallel tool calls as argument deltas, then complete calls', async () => {
    mock.configure({ script: [{ toolCalls: [WEATHER, TIME] }] });
    const events = await collect(client.stream(ask({ tools: TOOLS }), signal));
    const calls = toolCallsOf(events);
    assert.deepEqual(
      calls.map((c) => [c.name, JSON.parse(c.arguments) as unknown]),
      [
        [WEATHER.name, WEATHER.arguments],
        [TIME.name, TIME.arguments],
      ],
    );
    assert.ok(calls[0]?.id.startsWith('call_') && calls[0].id !== calls[1]?.id);
    const deltas = events.filter((e) => e.type === 'tool-call-delta');
    assert.ok(deltas.filter((d) => d.index === 0).length >= 3, 'name delta then at least two argument pieces');
    const opening = deltas.find((d) => d.index === 1);
    assert.equal(opening?.name, TIME.name);
    assert.equal(opening?.id, calls[1]?.id);
    assert.deepEqual(
      [...argumentDeltas(events)],
      [
        [0, calls[0]?.arguments],
        [1, calls[1]?.arguments],
      ],
    );
    const lastDelta = events.findLastIndex((e) => e.type === 'tool-call-delta');
    const firstCall = events.findIndex((e) => e.type === 'tool-call');
    assert.ok(lastDelta < firstCall, 'complete calls follow every delta');
    assert.equal(finishOf(events).reason, 'tool_calls');
  });

  test('returns tool calls of a non-streaming answer', async () => {
    mock.configure({ script: [{ text: 'Checking.', toolCalls: [WEATHER, TIME] }] });
    const events = await collect(client.stream(ask({ stream: false, tools: TOOLS }), signal));
    assert.equal(textOf(events), 'Checking.');
    assert.deepEqual(
      toolCallsOf(events).map((c) => [c.name, JSON.parse(c.arguments) as unknown]),
      [
        [WEATHER.name, WEATHER.arguments],
        [TIME.name, TIME.arguments],
      ],
    );
    assert.equal(finishOf(events).reason, 'tool_calls');
  });

  test('maps a tool-using conversation onto Chat Completions messages', async () => {
    mock.configure({ script: [{ toolCalls: [WEATHER] }, { text: 'Sunny at noon.' }] });
    const request = ask({
      messages: [
        { role: 'user', content: 'Weather and time in Paris?' },
        {
          role: 'assistant',
          content: '',
          toolCalls: [
            { id: 'call_a', name: 'get_weather', arguments: '{"city":"Paris"}' },
            { id: 'call_b', name: 'get_time', arguments: '{}' },
          ],
        },
        { role: 'tool', callId: 'call_a', name: 'get_weather', content: 'sunny' },
        { role: 'tool', callId: 'call_b', name: 'get_time', content: 'no clock', isError: true },
      ],
      tools: [{ name: 'get_weather', description: 'Weather by city', parameters: { type: 'object' } }],
      temperature: 0.2,
      maxTokens: 100,
    });
    const events = await collect(client.stream(request, signal));
    assert.equal(textOf(events), 'Sunny at noon.', 'the mock counted one assistant step');
    const body = mock.requests[0]?.body as Record<string, unknown>;
    assert.deepEqual(body.messages, [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Weather and time in Paris?' },
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          { id: 'call_a', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
          { id: 'call_b', type: 'function', function: { name: 'get_time', arguments: '{}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'call_a', content: 'sunny' },
      { role: 'tool', tool_call_id: 'call_b', content: 'no clock' },
    ]);
    assert.deepEqual(body.tools, [
      {
        type: 'function',
        function: { name: 'get_weather', description: 'Weather by city', parameters: { type: 'object' } },
      },
    ]);
    assert.equal(body.temperature, 0.2);
    assert.equal(body.max_tokens, 100);
    assert.equal(body.model, 'gpt-test');
  });
});
