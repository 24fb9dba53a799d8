import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ModelMessage, ModelRequest } from '../../src/core/index.js';
import { openAiBody, openAiBodyText } from '../../src/model/openai-wire.js';

const conversation: ModelMessage[] = [
  { role: 'user', content: 'Weather in "Paris"?\n' },
  {
    role: 'assistant',
    content: '',
    toolCalls: [{ id: 'call_a', name: 'get_weather', arguments: '{"city":"Paris"}' }],
    providerState: { id: 'resp_1' },
  },
  { role: 'tool', callId: 'call_a', name: 'get_weather', content: 'sunny ☀', isError: true },
  { role: 'assistant', content: 'Sunny.' },
  {
    role: 'assistant',
    content: 'Checking both…',
    toolCalls: [
      { id: 'call_b', name: 'get_time', arguments: '' },
      { id: 'call_c', name: 'get_weather', arguments: '{"city":"Zürich\\n"}' },
    ],
  },
  { role: 'tool', callId: 'call_b', name: 'get_time', content: '' },
];

const variants: ModelRequest[] = [
  { model: 'm', messages: [] },
  { model: 'm', system: '', messages: conversation },
  {
    model: 'gpt-"x"',
    system: 'Be brief.',
    messages: conversation,
    tools: [{ name: 'get_weather', description: 'Weather by city', parameters: { type: 'object' } }],
    temperature: 0.2,
    maxTokens: 100,
  },
];

test('the body text is exactly JSON.stringify of the body, streamed or not', () => {
  for (const request of variants) {
    for (const stream of [true, false]) {
      assert.equal(openAiBodyText(request, stream), JSON.stringify(openAiBody(request, stream)));
    }
  }
});

test('a request sent again with more messages, or other ones, still gets exactly its own text', () => {
  const request: ModelRequest = { model: 'm', system: 'Be brief.', messages: [...conversation] };
  const first = openAiBodyText(request, false);
  assert.equal(openAiBodyText(request, false), first);
  request.messages.push({ role: 'user', content: 'And tomorrow?' });
  assert.equal(openAiBodyText(request, false), JSON.stringify(openAiBody(request, false)));
  request.messages[0] = { role: 'user', content: 'Weather in Rome?' };
  assert.equal(openAiBodyText(request, true), JSON.stringify(openAiBody(request, true)));
  request.messages = request.messages.slice(0, 2);
  assert.equal(openAiBodyText(request, false), JSON.stringify(openAiBody(request, false)));
  assert.equal(JSON.stringify({ ...request }), JSON.stringify(request), 'nothing visible is added to the request');
});
