// The mock LLM's wire formats, read the way a provider client reads them: JSON bodies and SSE streams over real HTTP.
import { test, describe, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { startMockLlm, type MockLlm } from '../../src/model/mock/index.js';

interface Sse {
  event?: string;
  data: string;
}

/** A minimal SSE reader: blocks separated by a blank line, `event:` and `data:` fields. */
function parseSse(text: string): Sse[] {
  const out: Sse[] = [];
  for (const block of text.split('\n\n')) {
    if (block.trim() === '') continue;
    let event: string | undefined;
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith('event: ')) event = line.slice(7);
      else if (line.startsWith('data: ')) data.push(line.slice(6));
    }
    out.push({ ...(event === undefined ? {} : { event }), data: data.join('\n') });
  }
  return out;
}

// Loosely typed views of provider JSON, as a client sees it.
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- provider payloads are checked field by field below
type Json = any;

const TOOLS_CHAT = [{ type: 'function', function: { name: 'weather', parameters: { type: 'object' } } }];
const TOOLS_RESPONSES = [{ type: 'function', name: 'weather', parameters: { type: 'object' } }];
const TOOLS_ANTHROPIC = [{ name: 'weather', input_schema: { type: 'object' } }];
const SCRIPT = [
  { text: 'Let me look.', toolCalls: [{ name: 'weather', arguments: { city: 'Paris', unit: 'celsius' } }] },
  { text: 'It is sunny in Paris.' },
];

describe('mock LLM wire formats', () => {
  let mock: MockLlm;
  before(async () => {
    mock = await startMockLlm();
  });
  after(async () => {
    await mock.close();
  });
  beforeEach(() => {
    mock.reset();
    mock.configure({ script: [], outputTokens: 12 });
  });

  async function post(
    path: string,
    body: unknown,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; text: string; headers: Headers }> {
    const res = await fetch(`${mock.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    return { status: res.status, text: await res.text(), headers: res.headers };
  }

  describe('OpenAI Chat Completions', () => {
    const user = (content: string): Json => ({ role: 'user', content });

    test('non-stream: default reply, usage, record', async () => {
      const { status, text } = await post('/v1/chat/completions', {
        model: 'gpt-x',
        messages: [{ role: 'system', content: 'be brief' }, user('hello mock world')],
      });
      assert.equal(status, 200);
      const body: Json = JSON.parse(text);
      assert.equal(body.object, 'chat.completion');
      assert.equal(body.model, 'gpt-x');
      const choice = body.choices[0];
      assert.equal(choice.finish_reason, 'stop');
      assert.equal(choice.message.role, 'assistant');
      assert.ok(choice.message.content.startsWith('Mock reply to: "hello mock world" '), choice.message.content);
      assert.equal(choice.message.content.trim().split(' ').length, 12);
      assert.deepEqual(body.usage, { prompt_tokens: 5, completion_tokens: 12, total_tokens: 17 });
      const rec = mock.requests.at(-1);
      assert.equal(rec?.format, 'openai-chat');
      assert.equal(rec?.model, 'gpt-x');
      assert.equal(rec?.stream, false);
      assert.equal(rec?.status, 200);
      assert.equal(rec?.clientClosed, false);
      assert.ok(rec?.endedAt !== undefined && rec.endedAt >= rec.startedAt);
      assert.equal((rec?.body as Json).messages.length, 2);
      assert.equal(mock.requestCount, 1);
    });

    test('stream: role first, one delta per token, stop, usage chunk, [DONE]; same text as non-stream', async () => {
      mock.configure({ outputTokens: 20 });
      const messages = [user('a question that is definitely longer than forty characters in total')];
      const plain: Json = JSON.parse((await post('/v1/chat/completions', { model: 'm', messages })).text);
      const res = await post('/v1/chat/completions', {
        model: 'm',
        messages,
        stream: true,
        stream_options: { include_usage: true },
      });
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
      const events = parseSse(res.text);
      assert.equal(events.at(-1)?.data, '[DONE]');
      const chunks: Json[] = events.slice(0, -1).map((e) => JSON.parse(e.data));
      assert.ok(chunks.every((c) => c.object === 'chat.completion.chunk' && c.id === chunks[0].id));
      assert.equal(chunks[0].choices[0].delta.role, 'assistant');
      const deltas = chunks.filter((c) => c.choices[0]?.delta.content).map((c) => c.choices[0].delta.content as string);
      assert.equal(deltas.length, 20);
      assert.ok(
        deltas.every((d) => /^\S+ $/.test(d)),
        'a token is a word and a space',
      );
      assert.equal(deltas.join(''), plain.choices[0].message.content);
      assert.ok(deltas.join('').startsWith('Mock reply to: "a question that is definitely longer tha" '));
      const finish = chunks.filter((c) => c.choices[0]?.finish_reason);
      assert.deepEqual(
        finish.map((c) => c.choices[0].finish_reason),
        ['stop'],
      );
      const usage = chunks.at(-1);
      assert.deepEqual(usage.choices, []);
      assert.deepEqual(usage.usage, { prompt_tokens: 11, completion_tokens: 20, total_tokens: 31 });
      assert.ok(chunks.slice(0, -1).every((c) => c.usage === null));
      assert.equal(mock.requests.at(-1)?.stream, true);
    });

    test('stream without include_usage has no usage field', async () => {
      const res = await post('/v1/chat/completions', { model: 'm', messages: [user('hi')], stream: true });
      const chunks: Json[] = parseSse(res.text)
        .slice(0, -1)
        .map((e) => JSON.parse(e.data));
      assert.ok(chunks.length > 2);
      assert.ok(chunks.every((c) => !('usage' in c) && c.choices.length === 1));
    });

    test('script: tool call with split argument deltas, then the next step, then the default', async () => {
      mock.configure({ script: SCRIPT });
      const turn: Json[] = [user('weather in Paris?')];
      const res = await post('/v1/chat/completions', { model: 'm', messages: turn, tools: TOOLS_CHAT, stream: true });
      const chunks: Json[] = parseSse(res.text)
        .slice(0, -1)
        .map((e) => JSON.parse(e.data));
      const text = chunks.map((c) => c.choices[0].delta.content ?? '').join('');
      assert.equal(text, 'Let me look.');
      const calls = chunks.flatMap((c) => c.choices[0].delta.tool_calls ?? []);
      const id = mock.requests.at(-1)?.id;
      assert.deepEqual(calls[0], {
        index: 0,
        id: `call_${id}_0`,
        type: 'function',
        function: { name: 'weather', arguments: '' },
      });
      const argDeltas = calls.slice(1).map((c: Json) => c.function.arguments as string);
      assert.ok(argDeltas.length >= 2 && argDeltas.every((a) => a !== ''), `${argDeltas.length} argument deltas`);
      assert.ok(calls.slice(1).every((c: Json) => c.index === 0 && c.id === undefined));
      assert.deepEqual(JSON.parse(argDeltas.join('')), { city: 'Paris', unit: 'celsius' });
      assert.equal(chunks.at(-1).choices[0].finish_reason, 'tool_calls');

      turn.push({
        role: 'assistant',
        content: null,
        tool_calls: [{ id: 'call_x', type: 'function', function: { name: 'weather', arguments: '{}' } }],
      });
      turn.push({ role: 'tool', tool_call_id: 'call_x', content: 'sunny' });
      const second: Json = JSON.parse(
        (await post('/v1/chat/completions', { model: 'm', messages: turn, tools: TOOLS_CHAT })).text,
      );
      assert.equal(second.choices[0].message.content, 'It is sunny in Paris.');
      assert.equal(second.choices[0].finish_reason, 'stop');

      turn.push({ role: 'assistant', content: 'It is sunny in Paris.' });
      const third: Json = JSON.parse(
        (await post('/v1/chat/completions', { model: 'm', messages: turn, tools: TOOLS_CHAT })).text,
      );
      assert.match(third.choices[0].message.content, /^Mock reply to: "weather in Paris\?"/);
    });

    test('script: non-stream tool call; a step with tool calls is skipped when the request offers no tools', async () => {
      mock.configure({ script: SCRIPT });
      const withTools: Json = JSON.parse(
        (await post('/v1/chat/completions', { model: 'm', messages: [user('go')], tools: TOOLS_CHAT })).text,
      );
      const message = withTools.choices[0].message;
      assert.equal(withTools.choices[0].finish_reason, 'tool_calls');
      assert.equal(message.content, 'Let me look.');
      assert.equal(message.tool_calls[0].function.name, 'weather');
      assert.deepEqual(JSON.parse(message.tool_calls[0].function.arguments), { city: 'Paris', unit: 'celsius' });
      assert.ok(withTools.usage.completion_tokens > 3);
      const noTools: Json = JSON.parse(
        (await post('/v1/chat/completions', { model: 'm', messages: [user('go')] })).text,
      );
      assert.match(noTools.choices[0].message.content, /^Mock reply to: "go"/);
      assert.equal(noTools.choices[0].message.tool_calls, undefined);
    });

    test('a tool-only step has null content', async () => {
      mock.configure({
        script: [
          {
            toolCalls: [
              { name: 'weather', arguments: '{"city":"Oslo"}' },
              { name: 'weather', arguments: '{}' },
            ],
          },
        ],
      });
      const body: Json = JSON.parse(
        (await post('/v1/chat/completions', { model: 'm', messages: [user('x')], tools: TOOLS_CHAT })).text,
      );
      assert.equal(body.choices[0].message.content, null);
      const id = mock.requests.at(-1)?.id;
      assert.deepEqual(
        body.choices[0].message.tool_calls.map((c: Json) => [c.id, c.function.arguments]),
        [
          [`call_${id}_0`, '{"city":"Oslo"}'],
          [`call_${id}_1`, '{}'],
        ],
      );
      const stream = await post('/v1/chat/completions', {
        model: 'm',
        messages: [user('x')],
        tools: TOOLS_CHAT,
        stream: true,
      });
      const first = JSON.parse(parseSse(stream.text)[0]?.data ?? '{}');
      assert.deepEqual(first.choices[0].delta, { role: 'assistant', content: null });
    });

    test('400 with the OpenAI error shape on bad JSON and missing fields', async () => {
      const bad = await post('/v1/chat/completions', '{"model": "m", "messages": [');
      assert.equal(bad.status, 400);
      const err: Json = JSON.parse(bad.text);
      assert.equal(err.error.type, 'invalid_request_error');
      assert.equal(typeof err.error.message, 'string');
      assert.equal(mock.requests.at(-1)?.status, 400);
      assert.equal(mock.requests.at(-1)?.body, '{"model": "m", "messages": [');
      const missing = await post('/v1/chat/completions', { model: 'm' });
      assert.equal(missing.status, 400);
      assert.equal(JSON.parse(missing.text).error.param, 'messages');
      const noModel = await post('/v1/chat/completions', { messages: [user('x')] });
      assert.equal(JSON.parse(noModel.text).error.param, 'model');
    });
  });

  describe('OpenAI Responses', () => {
    test('stream: lifecycle events, text deltas, function call argument deltas, completed with usage', async () => {
      mock.configure({ script: SCRIPT });
      const res = await post('/v1/responses', { model: 'm', input: 'weather?', tools: TOOLS_RESPONSES, stream: true });
      assert.equal(res.status, 200);
      const events = parseSse(res.text);
      const data: Json[] = events.map((e) => JSON.parse(e.data));
      assert.ok(events.every((e, i) => e.event === data[i].type));
      assert.deepEqual(
        data.map((d) => d.sequence_number),
        data.map((_, i) => i),
      );
      const types = events.map((e) => e.event);
      assert.equal(types[0], 'response.created');
      assert.equal(types.at(-1), 'response.completed');
      for (const t of [
        'response.output_item.added',
        'response.output_text.delta',
        'response.function_call_arguments.delta',
        'response.output_item.done',
      ]) {
        assert.ok(types.includes(t), t);
      }
      const text = data
        .filter((d) => d.type === 'response.output_text.delta')
        .map((d) => d.delta)
        .join('');
      assert.equal(text, 'Let me look.');
      const added = data.find((d) => d.type === 'response.output_item.added' && d.item.type === 'function_call');
      const id = mock.requests.at(-1)?.id;
      assert.equal(added.item.call_id, `call_${id}_0`);
      assert.equal(added.item.name, 'weather');
      const argDeltas = data.filter((d) => d.type === 'response.function_call_arguments.delta');
      assert.ok(argDeltas.length >= 2);
      assert.ok(argDeltas.every((d) => d.item_id === added.item.id && d.output_index === added.output_index));
      assert.deepEqual(JSON.parse(argDeltas.map((d) => d.delta).join('')), { city: 'Paris', unit: 'celsius' });
      const completed = data.at(-1).response;
      assert.equal(completed.status, 'completed');
      assert.deepEqual(
        completed.output.map((o: Json) => o.type),
        ['message', 'function_call'],
      );
      assert.equal(completed.output[0].content[0].text, 'Let me look.');
      assert.equal(completed.usage.input_tokens, 1);
      assert.equal(completed.usage.output_tokens, 3 + argDeltas.length);
      assert.equal(completed.usage.total_tokens, completed.usage.input_tokens + completed.usage.output_tokens);
      assert.equal(mock.requests.at(-1)?.format, 'openai-responses');
    });

    test('non-stream, steps from input items and from previous_response_id', async () => {
      mock.configure({ script: SCRIPT });
      const first: Json = JSON.parse(
        (
          await post('/v1/responses', {
            model: 'm',
            input: [{ role: 'user', content: [{ type: 'input_text', text: 'weather?' }] }],
            tools: TOOLS_RESPONSES,
          })
        ).text,
      );
      assert.equal(first.object, 'response');
      assert.equal(first.status, 'completed');
      const call = first.output.find((o: Json) => o.type === 'function_call');
      assert.deepEqual(JSON.parse(call.arguments), { city: 'Paris', unit: 'celsius' });

      const items = [
        { role: 'user', content: 'weather?' },
        { type: 'function_call', call_id: call.call_id, name: 'weather', arguments: call.arguments },
        { type: 'function_call_output', call_id: call.call_id, output: 'sunny' },
      ];
      const full: Json = JSON.parse(
        (await post('/v1/responses', { model: 'm', input: items, tools: TOOLS_RESPONSES })).text,
      );
      assert.equal(full.output[0].content[0].text, 'It is sunny in Paris.');

      const chained: Json = JSON.parse(
        (
          await post('/v1/responses', {
            model: 'm',
            previous_response_id: first.id,
            input: [items[2]],
            tools: TOOLS_RESPONSES,
          })
        ).text,
      );
      assert.equal(chained.output[0].content[0].text, 'It is sunny in Paris.');
      assert.deepEqual(
        chained.output.map((o: Json) => o.type),
        ['message'],
      );

      const unknown = await post('/v1/responses', { model: 'm', previous_response_id: 'resp_nope', input: [items[2]] });
      assert.equal(unknown.status, 400);
      assert.equal(JSON.parse(unknown.text).error.param, 'previous_response_id');
      const bad = await post('/v1/responses', '{oops');
      assert.equal(bad.status, 400);
      assert.equal(JSON.parse(bad.text).error.type, 'invalid_request_error');
    });
  });

  describe('Anthropic Messages', () => {
    test('stream: message_start, text and tool_use blocks with deltas, message_delta, message_stop', async () => {
      mock.configure({ script: SCRIPT });
      const res = await post('/v1/messages', {
        model: 'claude-x',
        max_tokens: 100,
        stream: true,
        tools: TOOLS_ANTHROPIC,
        system: 'be nice',
        messages: [{ role: 'user', content: 'weather in Paris?' }],
      });
      assert.equal(res.status, 200);
      const events = parseSse(res.text);
      const data: Json[] = events.map((e) => JSON.parse(e.data));
      assert.ok(events.every((e, i) => e.event === data[i].type));
      assert.deepEqual(
        events.map((e) => e.event),
        [
          'message_start',
          'content_block_start',
          ...Array(3).fill('content_block_delta'),
          'content_block_stop',
          'content_block_start',
          ...Array(data.filter((d) => d.delta?.type === 'input_json_delta').length).fill('content_block_delta'),
          'content_block_stop',
          'message_delta',
          'message_stop',
        ],
      );
      assert.equal(data[0].message.model, 'claude-x');
      assert.equal(data[0].message.usage.input_tokens, 5);
      assert.deepEqual(data[1].content_block, { type: 'text', text: '' });
      const text = data
        .filter((d) => d.delta?.type === 'text_delta')
        .map((d) => d.delta.text)
        .join('');
      assert.equal(text, 'Let me look.');
      const toolStart = data.find((d) => d.type === 'content_block_start' && d.index === 1);
      assert.equal(toolStart.content_block.type, 'tool_use');
      assert.equal(toolStart.content_block.id, `toolu_${mock.requests.at(-1)?.id}_0`);
      const parts = data.filter((d) => d.delta?.type === 'input_json_delta');
      assert.ok(parts.length >= 2 && parts.every((p) => p.index === 1));
      assert.deepEqual(JSON.parse(parts.map((p) => p.delta.partial_json).join('')), { city: 'Paris', unit: 'celsius' });
      const delta = data.find((d) => d.type === 'message_delta');
      assert.equal(delta.delta.stop_reason, 'tool_use');
      assert.equal(delta.usage.output_tokens, 3 + parts.length);
    });

    test('non-stream; tool results continue the turn; default reply ends the turn', async () => {
      mock.configure({ script: SCRIPT });
      const turn: Json[] = [{ role: 'user', content: [{ type: 'text', text: 'weather in Paris?' }] }];
      const first: Json = JSON.parse(
        (await post('/v1/messages', { model: 'c', max_tokens: 50, tools: TOOLS_ANTHROPIC, messages: turn })).text,
      );
      assert.equal(first.type, 'message');
      assert.equal(first.stop_reason, 'tool_use');
      const use = first.content.find((b: Json) => b.type === 'tool_use');
      assert.deepEqual(use.input, { city: 'Paris', unit: 'celsius' });
      turn.push({ role: 'assistant', content: first.content });
      turn.push({ role: 'user', content: [{ type: 'tool_result', tool_use_id: use.id, content: 'sunny' }] });
      const second: Json = JSON.parse(
        (await post('/v1/messages', { model: 'c', max_tokens: 50, tools: TOOLS_ANTHROPIC, messages: turn })).text,
      );
      assert.deepEqual(second.content, [{ type: 'text', text: 'It is sunny in Paris.' }]);
      assert.equal(second.stop_reason, 'end_turn');
      assert.equal(second.usage.output_tokens, 5);
      const plain: Json = JSON.parse(
        (await post('/v1/messages', { model: 'c', max_tokens: 50, messages: [{ role: 'user', content: 'hi' }] })).text,
      );
      assert.match(plain.content[0].text, /^Mock reply to: "hi" /);
    });

    test('400 with the Anthropic error shape', async () => {
      const noMax = await post('/v1/messages', { model: 'c', messages: [{ role: 'user', content: 'hi' }] });
      assert.equal(noMax.status, 400);
      const err: Json = JSON.parse(noMax.text);
      assert.equal(err.type, 'error');
      assert.equal(err.error.type, 'invalid_request_error');
      assert.match(err.error.message, /max_tokens/);
      const bad = await post('/v1/messages', 'not json');
      assert.equal(bad.status, 400);
      assert.equal(JSON.parse(bad.text).type, 'error');
    });
  });
});
