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

test('a message sent again keeps its wire form; a new message object gets its own', () => {
  const request: ModelRequest = { model: 'm', messages: [...conversation] };
  const first = openAiBodyText(request, false);
  assert.equal(openAiBodyText(request, false), first);
  request.messages.push({ role: 'user', content: 'And tomorrow?' });
  assert.equal(openAiBodyText(request, false), JSON.stringify(openAiBody(request, false)));
  const parsed = JSON.parse(openAiBodyText(request, false)) as { messages: { content: string }[] };
  assert.equal(parsed.messages.at(-1)?.content, 'And tomorrow?');
});
