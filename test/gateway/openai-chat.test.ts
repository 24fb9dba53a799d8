import { test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { request } from 'undici';
import { startTestGateway } from '../helpers/gateway.js';
import type { MockRequestRecord } from '../../src/model/index.js';

function client(url: string, opts: { apiKey?: string; headers?: Record<string, string> } = {}): OpenAI {
  return new OpenAI({
    baseURL: url + '/v1',
    apiKey: opts.apiKey ?? 'k',
    maxRetries: 0,
    ...(opts.headers ? { defaultHeaders: opts.headers } : {}),
  });
}

type Sent = { role: string; content: unknown }[];
const sentMessages = (r: MockRequestRecord): Sent => (r.body as { messages: Sent }).messages;

test('non-streaming chat completion: the agent answers as a chat.completion', async (t) => {
  const { url } = await startTestGateway(t);
  const res = await client(url).chat.completions.create({
    model: 'assistant',
    messages: [{ role: 'user', content: 'hello there' }],
  });
  assert.equal(res.object, 'chat.completion');
  assert.match(res.id, /^chatcmpl-turn_/);
  assert.equal(res.model, 'assistant');
  assert.equal(res.choices.length, 1);
  assert.equal(res.choices[0]!.message.role, 'assistant');
  assert.match(res.choices[0]!.message.content ?? '', /^Mock reply to: "hello there"/);
  assert.equal(res.choices[0]!.finish_reason, 'stop');
  assert.ok(res.usage!.prompt_tokens > 0 && res.usage!.completion_tokens > 0);
  assert.equal(res.usage!.total_tokens, res.usage!.prompt_tokens + res.usage!.completion_tokens);
});

test('streaming chat completion: role first, content deltas, finish_reason, usage chunk, [DONE]', async (t) => {
  const { url } = await startTestGateway(t);
  const stream = await client(url).chat.completions.create({
    model: 'assistant',
    messages: [{ role: 'user', content: 'stream please' }],
    stream: true,
    stream_options: { include_usage: true },
  });
  const chunks: OpenAI.ChatCompletionChunk[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  assert.ok(chunks.length >= 4, `only ${chunks.length} chunks`);
  assert.ok(chunks.every((c) => c.object === 'chat.completion.chunk' && c.id === chunks[0]!.id));
  assert.equal(chunks[0]!.choices[0]!.delta.role, 'assistant');
  const text = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');
  assert.match(text, /^Mock reply to: "stream please"/);
  const usage = chunks.at(-1)!;
  assert.deepEqual(usage.choices, []);
  assert.ok(usage.usage!.completion_tokens > 0);
  const finish = chunks.at(-2)!;
  assert.equal(finish.choices[0]!.finish_reason, 'stop');
  assert.ok(chunks.slice(0, -2).every((c) => c.choices[0]!.finish_reason === null && c.usage === null));
});

test('a stream without stream_options has no usage chunk', async (t) => {
  const { url } = await startTestGateway(t);
  const stream = await client(url).chat.completions.create({
    model: 'assistant',
    messages: [{ role: 'user', content: 'hi' }],
    stream: true,
  });
  const chunks = [];
  for await (const chunk of stream) chunks.push(chunk);
  assert.equal(chunks.at(-1)!.choices[0]!.finish_reason, 'stop');
  assert.ok(chunks.every((c) => !('usage' in c)));
});

test('chat.completions.stream(): the SDK assembles the final completion', async (t) => {
  const { url } = await startTestGateway(t);
  const runner = client(url).chat.completions.stream({
    model: 'assistant',
    messages: [{ role: 'user', content: 'assemble me' }],
  });
  const deltas: string[] = [];
  runner.on('content', (delta) => deltas.push(delta));
  const final = await runner.finalChatCompletion();
  assert.equal(final.choices[0]!.finish_reason, 'stop');
  assert.match(final.choices[0]!.message.content ?? '', /^Mock reply to: "assemble me"/);
  assert.equal(deltas.join(''), final.choices[0]!.message.content);
});

test('stateless: earlier messages are the history the model sees; nothing is stored', async (t) => {
  const { url, mock, runtime } = await startTestGateway(t);
  const res = await client(url).chat.completions.create({
    model: 'assistant',
    messages: [
      { role: 'system', content: 'Answer in French.' },
      { role: 'user', content: 'first question' },
      { role: 'assistant', content: 'first answer' },
      {
        role: 'user',
        content: [
          { type: 'text', text: 'second ' },
          { type: 'text', text: 'question' },
        ],
      },
    ],
  });
  assert.match(res.choices[0]!.message.content ?? '', /^Mock reply to: "second question"/);
  const sent = sentMessages(await mock.waitFor((r) => r.format === 'openai-chat'));
  assert.deepEqual(sent, [
    { role: 'system', content: 'You are a test agent.' },
    { role: 'user', content: 'Answer in French.' },
    { role: 'user', content: 'first question' },
    { role: 'assistant', content: 'first answer' },
    { role: 'user', content: 'second question' },
  ]);
  assert.equal((await runtime.listSessions()).sessions.length, 0);
});

test('stateful: X-Swiftlet-Session keeps the history in the session log across calls', async (t) => {
  const { url, mock, runtime } = await startTestGateway(t);
  const c = client(url, { headers: { 'X-Swiftlet-Session': 'chat-stateful-1' } });
  const first = await c.chat.completions.create({ model: 'assistant', messages: [{ role: 'user', content: 'one' }] });
  const { data: second, response } = await c.chat.completions
    .create({
      model: 'assistant',
      // Earlier messages are ignored when a session is named: the log holds the real history.
      messages: [
        { role: 'user', content: 'ignored' },
        { role: 'user', content: 'two' },
      ],
    })
    .withResponse();
  assert.equal(response.headers.get('x-swiftlet-session'), 'chat-stateful-1');
  assert.match(second.choices[0]!.message.content ?? '', /^Mock reply to: "two"/);
  const requests = mock.requests.filter((r) => r.format === 'openai-chat');
  assert.equal(requests.length, 2);
  assert.deepEqual(sentMessages(requests[1]!).slice(1), [
    { role: 'user', content: 'one' },
    { role: 'assistant', content: first.choices[0]!.message.content },
    { role: 'user', content: 'two' },
  ]);
  const entries = await runtime.entries('chat-stateful-1');
  assert.deepEqual(
    entries.filter((e) => e.type === 'user').map((e) => (e.type === 'user' ? e.text : '')),
    ['one', 'two'],
  );
});

test('per-request session header works as well as a default header', async (t) => {
  const { url, runtime } = await startTestGateway(t);
  await client(url).chat.completions.create(
    { model: 'assistant', messages: [{ role: 'user', content: 'remember me' }] },
    { headers: { 'X-Swiftlet-Session': 'chat-per-request' } },
  );
  const info = await runtime.getSession('chat-per-request');
  assert.equal(info?.agent, 'assistant');
});

test("the agent's tools run on the server: the answer holds only text, every step's text kept", async (t) => {
  const script = [
    { text: 'Let me look.', toolCalls: [{ name: 'current_time', arguments: {} }] },
    { text: 'Done now.' },
  ];
  const { url, mock } = await startTestGateway(t, { mock: { script } });
  const c = client(url);
  const res = await c.chat.completions.create({ model: 'assistant', messages: [{ role: 'user', content: 'time?' }] });
  assert.equal(res.choices[0]!.message.content, 'Let me look.\n\nDone now.');
  assert.equal(res.choices[0]!.message.tool_calls, undefined);
  assert.equal(res.choices[0]!.finish_reason, 'stop');
  assert.equal(mock.requests.filter((r) => r.format === 'openai-chat').length, 2);

  const final = await c.chat.completions
    .stream({ model: 'assistant', messages: [{ role: 'user', content: 'time?' }] })
    .finalChatCompletion();
  assert.equal(final.choices[0]!.message.content, 'Let me look.\n\nDone now.');
});

test('a turn stopped by its step limit ends with finish_reason length', async (t) => {
  const script = [{ toolCalls: [{ name: 'current_time', arguments: {} }] }];
  const { url } = await startTestGateway(t, { mock: { script }, config: { agentExtra: '    maxSteps: 1' } });
  const c = client(url);
  const res = await c.chat.completions.create({ model: 'assistant', messages: [{ role: 'user', content: 'loop' }] });
  assert.equal(res.choices[0]!.finish_reason, 'length');
  const final = await c.chat.completions
    .stream({ model: 'assistant', messages: [{ role: 'user', content: 'loop' }] })
    .finalChatCompletion();
  assert.equal(final.choices[0]!.finish_reason, 'length');
});

test('the raw stream: data-only frames, heartbeat comments the SDK skips, [DONE] last', async (t) => {
  const { url } = await startTestGateway(t, {
    mock: { tokenDelayMs: 30, outputTokens: 10 },
    server: { sseHeartbeatMs: 5 },
  });
  const raw = await request(url + '/v1/chat/completions', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'assistant', messages: [{ role: 'user', content: 'slow' }], stream: true }),
  });
  assert.equal(raw.statusCode, 200);
  assert.match(String(raw.headers['content-type']), /^text\/event-stream/);
  const frames = (await raw.body.text()).split('\n\n').filter((f) => f !== '');
  assert.ok(frames.includes(': ping'), 'no heartbeat comment');
  assert.ok(frames.every((f) => f === ': ping' || f.startsWith('data: ')));
  assert.equal(frames.at(-1), 'data: [DONE]');

  const final = await client(url)
    .chat.completions.stream({ model: 'assistant', messages: [{ role: 'user', content: 'slow' }] })
    .finalChatCompletion();
  assert.match(final.choices[0]!.message.content ?? '', /^Mock reply to: "slow"/);
});
