import { test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { request } from 'undici';
import { startTestGateway } from '../helpers/gateway.js';
import { parseResponseId, responseId } from '../../src/gateway/openai/response-id.js';
import type { MockRequestRecord } from '../../src/model/index.js';

function client(url: string): OpenAI {
  return new OpenAI({ baseURL: url + '/v1', apiKey: 'k', maxRetries: 0 });
}

type Sent = { role: string; content: unknown }[];
const chatRequests = (records: readonly MockRequestRecord[]): Sent[] =>
  records.filter((r) => r.format === 'openai-chat').map((r) => (r.body as { messages: Sent }).messages);

test('response ids name the session and the turn, and only well-formed ones parse', () => {
  const id = responseId('ses:odd.id-1_x', 'turn_01jabcdefghjkmnpqrstvwxyz0');
  assert.match(id, /^resp_[A-Za-z0-9_-]+_turn_[0-9a-z]{26}$/);
  assert.deepEqual(parseResponseId(id), { sessionId: 'ses:odd.id-1_x', turnId: 'turn_01jabcdefghjkmnpqrstvwxyz0' });
  for (const bad of [
    'resp_',
    'resp_abc',
    'chatcmpl-x',
    'resp_@@_turn_01jabcdefghjkmnpqrstvwxyz0',
    'resp_' + Buffer.from('bad id!').toString('base64url') + '_turn_01jabcdefghjkmnpqrstvwxyz0',
    'resp_YQ==_turn_01jabcdefghjkmnpqrstvwxyz0',
    id + 'x',
  ]) {
    assert.equal(parseResponseId(bad), undefined, bad);
  }
});

test('non-streaming response: a completed Response with output_text and usage', async (t) => {
  const { url, runtime } = await startTestGateway(t);
  const { data: res, response } = await client(url)
    .responses.create({ model: 'assistant', input: 'hello responses', instructions: 'ignored' })
    .withResponse();
  assert.equal(res.object, 'response');
  assert.equal(res.status, 'completed');
  assert.equal(res.model, 'assistant');
  assert.match(res.output_text, /^Mock reply to: "hello responses"/);
  assert.equal(res.output[0]?.type, 'message');
  assert.ok(res.usage!.input_tokens > 0 && res.usage!.output_tokens > 0);
  assert.equal(res.previous_response_id, null);
  const ref = parseResponseId(res.id);
  assert.ok(ref, res.id);
  assert.equal(response.headers.get('x-swiftlet-session'), ref.sessionId);
  const info = await runtime.getSession(ref.sessionId);
  assert.equal(info?.agent, 'assistant');
});

test('previous_response_id continues the conversation on the same session log', async (t) => {
  const { url, mock } = await startTestGateway(t);
  const c = client(url);
  const first = await c.responses.create({ model: 'assistant', input: 'first turn' });
  const second = await c.responses.create({
    model: 'assistant',
    input: [
      { role: 'user', content: 'not used' },
      { role: 'user', content: [{ type: 'input_text', text: 'second turn' }] },
    ],
    previous_response_id: first.id,
  });
  assert.equal(second.previous_response_id, first.id);
  assert.match(second.output_text, /^Mock reply to: "second turn"/);
  assert.equal(parseResponseId(second.id)?.sessionId, parseResponseId(first.id)?.sessionId);
  const sent = chatRequests(mock.requests);
  assert.equal(sent.length, 2);
  assert.deepEqual(sent[1]!.slice(1), [
    { role: 'user', content: 'first turn' },
    { role: 'assistant', content: first.output_text },
    { role: 'user', content: 'second turn' },
  ]);
  // The log does not branch: the first response is no longer the latest.
  await assert.rejects(
    c.responses.create({ model: 'assistant', input: 'branch', previous_response_id: first.id }),
    (e: unknown) =>
      e instanceof OpenAI.BadRequestError && e.param === 'previous_response_id' && e.message.includes(second.id),
  );
});

test('previous_response_id that is malformed or unknown is refused', async (t) => {
  const { url } = await startTestGateway(t);
  const c = client(url);
  await assert.rejects(
    c.responses.create({ model: 'assistant', input: 'x', previous_response_id: 'resp_nonsense' }),
    (e: unknown) => e instanceof OpenAI.BadRequestError && e.param === 'previous_response_id',
  );
  const unknown = responseId('never-made', 'turn_01jabcdefghjkmnpqrstvwxyz0');
  await assert.rejects(
    c.responses.create({ model: 'assistant', input: 'x', previous_response_id: unknown }),
    (e: unknown) => e instanceof OpenAI.NotFoundError && e.param === 'previous_response_id',
  );
  await assert.rejects(
    c.responses.create({
      model: 'assistant',
      input: 'x',
      tools: [{ type: 'function', name: 'f', parameters: {}, strict: false }],
    }),
    (e: unknown) => e instanceof OpenAI.BadRequestError && e.param === 'tools',
  );
  await assert.rejects(
    c.responses.create({ model: 'assistant', input: [{ role: 'assistant', content: 'no user here' }] }),
    (e: unknown) => e instanceof OpenAI.BadRequestError && e.param === 'input',
  );
});

test('streaming response: the event sequence, and the SDK assembles the final Response', async (t) => {
  const { url, mock } = await startTestGateway(t);
  const c = client(url);
  const stream = await c.responses.create({ model: 'assistant', input: 'stream it', stream: true });
  const events = [];
  for await (const event of stream) events.push(event);
  const types = [...new Set(events.map((e) => e.type))];
  assert.deepEqual(types, [
    'response.created',
    'response.in_progress',
    'response.output_item.added',
    'response.content_part.added',
    'response.output_text.delta',
    'response.output_text.done',
    'response.content_part.done',
    'response.output_item.done',
    'response.completed',
  ]);
  assert.deepEqual(
    events.map((e) => e.sequence_number),
    events.map((_, i) => i),
  );
  const deltas = events.flatMap((e) => (e.type === 'response.output_text.delta' ? [e.delta] : []));
  const done = events.find((e) => e.type === 'response.output_text.done');
  assert.equal(done?.type === 'response.output_text.done' && done.text, deltas.join(''));
  const completed = events.at(-1);
  assert.ok(completed?.type === 'response.completed');
  assert.equal(completed.response.status, 'completed');
  assert.ok(completed.response.usage!.output_tokens > 0);

  const helper = c.responses.stream({
    model: 'assistant',
    input: 'continue',
    previous_response_id: completed.response.id,
  });
  const final = await helper.finalResponse();
  assert.equal(final.status, 'completed');
  assert.match(final.output_text, /^Mock reply to: "continue"/);
  assert.equal(chatRequests(mock.requests)[1]!.length, 4); // system, first user, first answer, new input
});

test('a streamed response that fails after it began ends with response.failed', async (t) => {
  const { url, mock } = await startTestGateway(t, { mock: { outputTokens: 20 } });
  mock.injectFault({ kind: 'disconnect', afterTokens: 3 });
  const raw = await request(url + '/v1/responses', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'assistant', input: 'hi', stream: true }),
  });
  assert.equal(raw.statusCode, 200);
  const frames = (await raw.body.text()).split('\n\n').filter((f) => f.startsWith('event: '));
  const last = frames.at(-1)!;
  assert.ok(last.startsWith('event: response.failed\n'), last);
  const data = JSON.parse(last.slice(last.indexOf('data: ') + 6)) as {
    response: { status: string; error: { code: string } };
  };
  assert.equal(data.response.status, 'failed');
  assert.match(data.response.error.code, /^SWIFTLET_ERR_MODEL_/);
});

test('a response stopped by its step limit is incomplete', async (t) => {
  const script = [{ toolCalls: [{ name: 'current_time', arguments: {} }] }];
  const { url } = await startTestGateway(t, { mock: { script }, config: { agentExtra: '    maxSteps: 1' } });
  const res = await client(url).responses.create({ model: 'assistant', input: 'loop' });
  assert.equal(res.status, 'incomplete');
  assert.equal(res.incomplete_details?.reason, 'max_output_tokens');
});
