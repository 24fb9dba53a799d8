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

describe('Anthropic Messages client against the mock LLM', () => {
  let mock: MockLlm;
  let client: ModelClient;
  const signal = new AbortController().signal;

  before(async () => {
    mock = await startMockLlm({});
    client = createModelClient(mockOptions('anthropic', mock, { apiKey: 'sk-ant-test' }));
  });
  after(async () => {
    await client.close();
    await mock.close();
  });
  beforeEach(() => mock.reset());

  const ask = (extra: Partial<ModelRequest> = {}): ModelRequest => ({
    model: 'claude-test',
    system: 'Be brief.',
    messages: [{ role: 'user', content: 'Say hello' }],
    ...extra,
  });

  test('streams text, then usage from message_start and message_delta, then one finish', async () => {
    mock.configure({ script: [{ text: 'Hello from the mock model' }] });
    const events = await collect(client.stream(ask(), signal));
    assert.equal(textOf(events), 'Hello from the mock model');
    assert.ok(events.filter((e) => e.type === 'text-delta').length >= 5, 'one delta per token');
    assert.equal(finishOf(events).reason, 'stop');
    const usage = usageOf(events);
    assert.equal(usage.outputTokens, 5);
    assert.ok(usage.inputTokens > 0);
    assert.equal(mock.requests[0]?.format, 'anthropic');
    const body = mock.requests[0]?.body as Record<string, unknown>;
    assert.equal(body.stream, true);
    assert.equal(body.system, 'Be brief.');
    assert.equal(body.max_tokens, 4096, 'the required max_tokens gets a default');
    assert.deepEqual(body.messages, [{ role: 'user', content: 'Say hello' }]);
  });

  test('answers a non-streaming request with the same events', async () => {
    mock.configure({ script: [{ text: 'Hello from the mock model' }] });
    const events = await collect(client.stream(ask({ stream: false }), signal));
    assert.deepEqual(
      events.map((e) => e.type),
      ['text-delta', 'usage', 'finish'],
    );
    assert.equal(textOf(events), 'Hello from the mock model');
    assert.equal(usageOf(events).outputTokens, 5);
    assert.equal(finishOf(events).reason, 'stop');
    assert.equal(mock.requests[0]?.stream, false);
  });

  test('streams text and two tool calls; tool-call indexes count calls, not content blocks', async () => {
    mock.configure({ script: [{ text: 'Let me check.', toolCalls: [WEATHER, TIME] }] });
    const events = await collect(client.stream(ask({ tools: TOOLS }), signal));
    assert.equal(textOf(events), 'Let me check.');
    const calls = toolCallsOf(events);
    assert.deepEqual(
      calls.map((c) => [c.name, JSON.parse(c.arguments) as unknown]),
      [
        [WEATHER.name, WEATHER.arguments],
        [TIME.name, TIME.arguments],
      ],
    );
    assert.ok(calls[0]?.id.startsWith('toolu_') && calls[0].id !== calls[1]?.id);
    const deltas = events.filter((e) => e.type === 'tool-call-delta');
    assert.ok(deltas.filter((d) => d.index === 0).length >= 3, 'opening delta then at least two argument pieces');
    assert.deepEqual(
      deltas.filter((d) => d.name !== undefined).map((d) => [d.index, d.id, d.name]),
      [
        [0, calls[0]?.id, WEATHER.name],
        [1, calls[1]?.id, TIME.name],
      ],
    );
    assert.deepEqual(
      [...argumentDeltas(events)],
      [
        [0, calls[0]?.arguments],
        [1, calls[1]?.arguments],
      ],
    );
    const lastDelta = events.findLastIndex((e) => e.type === 'tool-call-delta');
    assert.ok(lastDelta < events.findIndex((e) => e.type === 'tool-call'), 'complete calls follow every delta');
    assert.equal(finishOf(events).reason, 'tool_calls');
    assert.equal(usageOf(events).outputTokens > 0, true);
  });

  test('returns tool calls of a non-streaming answer with their input as JSON text', async () => {
    mock.configure({ script: [{ toolCalls: [WEATHER] }] });
    const events = await collect(client.stream(ask({ stream: false, tools: TOOLS }), signal));
    const calls = toolCallsOf(events);
    assert.equal(calls.length, 1);
    assert.equal(calls[0]?.name, WEATHER.name);
    assert.deepEqual(JSON.parse(calls[0]?.arguments ?? ''), WEATHER.arguments);
    assert.equal(finishOf(events).reason, 'tool_calls');
  });

  test('maps a tool-using conversation: tool_use blocks, merged tool_result blocks, input_schema', async () => {
    mock.configure({ script: [{ toolCalls: [WEATHER] }, { text: 'Sunny at noon.' }] });
    const request = ask({
      messages: [
        { role: 'user', content: 'Weather and time in Paris?' },
        {
          role: 'assistant',
          content: 'Checking.',
          toolCalls: [
            { id: 'toolu_a', name: 'get_weather', arguments: '{"city":"Paris"}' },
            { id: 'toolu_b', name: 'get_time', arguments: '' },
          ],
        },
        { role: 'tool', callId: 'toolu_a', name: 'get_weather', content: 'sunny' },
        { role: 'tool', callId: 'toolu_b', name: 'get_time', content: 'no clock', isError: true },
      ],
      tools: [TOOLS[0]!],
      temperature: 0.5,
      maxTokens: 256,
    });
    const events = await collect(client.stream(request, signal));
    assert.equal(textOf(events), 'Sunny at noon.', 'the mock counted one assistant step');
    const body = mock.requests[0]?.body as Record<string, unknown>;
    assert.deepEqual(body.messages, [
      { role: 'user', content: 'Weather and time in Paris?' },
      {
        role: 'assistant',
        content: [
          { type: 'text', text: 'Checking.' },
          { type: 'tool_use', id: 'toolu_a', name: 'get_weather', input: { city: 'Paris' } },
          { type: 'tool_use', id: 'toolu_b', name: 'get_time', input: {} },
        ],
      },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 'toolu_a', content: 'sunny' },
          { type: 'tool_result', tool_use_id: 'toolu_b', content: 'no clock', is_error: true },
        ],
      },
    ]);
    assert.deepEqual(body.tools, [
      { name: 'get_weather', description: 'Weather by city', input_schema: { type: 'object' } },
    ]);
    assert.equal(body.max_tokens, 256);
    assert.equal(body.temperature, 0.5);
    assert.equal(body.system, 'Be brief.');
  });
});
