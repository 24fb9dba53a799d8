import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { startTestGateway } from '../helpers/gateway.js';
import { createSessionBody, turnBody } from '../../src/gateway/native/schemas.js';
import { call } from './native-support.js';

const SECOND_AGENT = `
  writer:
    model: mock/mock-model
    instructions: You write.
    tools: []`;

test('sessions: create, read with its todo list, list, page through messages, delete', async (t) => {
  const script = [
    { toolCalls: [{ name: 'todo', arguments: { action: 'add', text: 'write the API docs' } }] },
    { text: 'Added it.' },
  ];
  const { url } = await startTestGateway(t, { mock: { script } });

  const created = await call(url, 'POST', '/v1/sessions', { body: { agent: 'assistant', metadata: { user: 'ana' } } });
  assert.equal(created.status, 201);
  const id = created.body.id as string;
  assert.match(id, /^ses_/);
  assert.equal(created.body.agent, 'assistant');
  assert.ok(!Number.isNaN(Date.parse(created.body.createdAt)));
  assert.equal(created.headers.location, `/v1/sessions/${id}`);

  // Created but no turn yet: readable, empty.
  const fresh = await call(url, 'GET', `/v1/sessions/${id}`);
  assert.equal(fresh.status, 200);
  assert.deepEqual(
    { lastSeq: fresh.body.lastSeq, todo: fresh.body.todo, metadata: fresh.body.metadata },
    { lastSeq: 0, todo: [], metadata: { user: 'ana' } },
  );
  assert.equal(fresh.body.title, undefined, 'no title before the first message');
  assert.deepEqual((await call(url, 'GET', `/v1/sessions/${id}/messages`)).body, { sessionId: id, messages: [] });

  const turn = await call(url, 'POST', `/v1/sessions/${id}/turns`, { body: { input: 'plan the docs' } });
  assert.equal(turn.status, 200);
  assert.equal(turn.body.outcome, 'final');
  assert.equal(turn.body.text, 'Added it.');

  const after = await call(url, 'GET', `/v1/sessions/${id}`);
  assert.deepEqual(after.body.todo, [{ id: 1, text: 'write the API docs', status: 'pending' }]);
  assert.ok(after.body.lastSeq > 0);
  assert.equal(after.body.openTurn, undefined);
  assert.equal(after.body.title, 'plan the docs');

  // user, assistant (tool call), tool result, assistant: paged two at a time by seq.
  const first = await call(url, 'GET', `/v1/sessions/${id}/messages?limit=2`);
  assert.deepEqual(
    first.body.messages.map((m: { role: string }) => m.role),
    ['user', 'assistant'],
  );
  assert.equal(first.body.messages[0].text, 'plan the docs');
  assert.equal(first.body.messages[1].toolCalls[0].name, 'todo');
  const second = await call(url, 'GET', `/v1/sessions/${id}/messages?limit=2&cursor=${first.body.nextCursor}`);
  assert.deepEqual(
    second.body.messages.map((m: { role: string }) => m.role),
    ['tool', 'assistant'],
  );
  assert.equal(second.body.messages[0].name, 'todo');
  assert.equal(second.body.messages[1].text, 'Added it.');
  const seqs = [...first.body.messages, ...second.body.messages].map((m: { seq: number }) => m.seq);
  assert.deepEqual(
    seqs,
    [...seqs].sort((a, b) => a - b),
  );

  const listed = await call(url, 'GET', '/v1/sessions');
  assert.equal(listed.status, 200);
  assert.ok(
    listed.body.sessions.some((s: { id: string; title?: string }) => s.id === id && s.title === 'plan the docs'),
  );
  // A later message does not change the title.
  await call(url, 'POST', `/v1/sessions/${id}/turns`, { body: { input: 'and the changelog' } });
  assert.equal((await call(url, 'GET', `/v1/sessions/${id}`)).body.title, 'plan the docs');

  const deleted = await call(url, 'DELETE', `/v1/sessions/${id}`);
  assert.equal(deleted.status, 204);
  assert.equal((await call(url, 'GET', `/v1/sessions/${id}`)).status, 404);
  assert.equal((await call(url, 'DELETE', `/v1/sessions/${id}`)).status, 404);
});

test('sessions: cursor pagination visits every session once; agent filter', async (t) => {
  const { url } = await startTestGateway(t, { config: { agentExtra: SECOND_AGENT } });
  const ids = new Set<string>();
  for (let i = 0; i < 5; i++) ids.add((await call(url, 'POST', '/v1/sessions', { body: {} })).body.id);
  const writer = (await call(url, 'POST', '/v1/sessions', { body: { agent: 'writer' } })).body.id as string;

  const seen: string[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < 10; page++) {
    const r = await call(url, 'GET', `/v1/sessions?agent=assistant&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
    assert.equal(r.status, 200);
    assert.ok(r.body.sessions.length <= 2);
    seen.push(...r.body.sessions.map((s: { id: string }) => s.id));
    cursor = r.body.nextCursor;
    if (!cursor) break;
  }
  assert.deepEqual(new Set(seen), ids);
  assert.equal(seen.length, ids.size);

  const writers = await call(url, 'GET', '/v1/sessions?agent=writer');
  assert.deepEqual(
    writers.body.sessions.map((s: { id: string }) => s.id),
    [writer],
  );
});

test('sessions: bad input names the field; unknown ids are 404', async (t) => {
  const { url } = await startTestGateway(t, { server: { bodyLimitBytes: 1024 } });
  const cases: [string, Parameters<typeof call>[3], number, string | undefined][] = [
    ['not JSON', { raw: '{"agent":', headers: { 'content-type': 'application/json' } }, 400, 'body'],
    ['array body', { body: [] }, 400, 'body'],
    ['unknown field', { body: { agnet: 'assistant' } }, 400, 'agnet'],
    ['metadata not an object', { body: { metadata: [1] } }, 400, 'metadata'],
    ['agent not a string', { body: { agent: 7 } }, 400, 'agent'],
    ['unknown agent', { body: { agent: 'nobody' } }, 404, 'agent'],
    ['wrong content type', { raw: 'agent=assistant', headers: { 'content-type': 'text/plain' } }, 415, undefined],
    ['too large', { body: { metadata: { blob: 'x'.repeat(4096) } } }, 413, undefined],
  ];
  for (const [what, opts, status, field] of cases) {
    const r = await call(url, 'POST', '/v1/sessions', opts);
    assert.equal(r.status, status, what);
    assert.equal(typeof r.body.error.code, 'string', what);
    assert.equal(r.body.error.field, field, what);
  }

  for (const [path, field] of [
    ['/v1/sessions?limit=0', 'limit'],
    ['/v1/sessions?limit=abc', 'limit'],
    ['/v1/sessions?cursor=not-a-cursor', 'cursor'],
  ] as const) {
    const r = await call(url, 'GET', path);
    assert.equal(r.status, 400, path);
    assert.equal(r.body.error.field, field, path);
  }

  for (const [method, path] of [
    ['GET', '/v1/sessions/ses_nope'],
    ['GET', '/v1/sessions/ses_nope/messages'],
    ['DELETE', '/v1/sessions/ses_nope'],
    ['POST', '/v1/sessions/ses_nope/interrupt'],
    ['GET', '/v1/sessions/bad%20id'],
  ] as const) {
    const r = await call(url, method, path);
    assert.equal(r.status, 404, `${method} ${path}`);
    assert.equal(r.body.error.code, 'SWIFTLET_ERR_SESSION_NOT_FOUND');
  }
  const id = (await call(url, 'POST', '/v1/sessions', { body: {} })).body.id as string;
  const badCursor = await call(url, 'GET', `/v1/sessions/${id}/messages?cursor=-1`);
  assert.equal(badCursor.status, 400);
  assert.equal(badCursor.body.error.field, 'cursor');
});

test('unknown routes are 404 JSON, wrong methods 405 with Allow', async (t) => {
  const { url } = await startTestGateway(t);
  const missing = await call(url, 'GET', '/v1/nothing-here');
  assert.equal(missing.status, 404);
  assert.equal(missing.body.error.code, 'SWIFTLET_ERR_NOT_FOUND');
  const wrong = await call(url, 'PUT', '/v1/sessions');
  assert.equal(wrong.status, 405);
  assert.equal(wrong.body.error.code, 'SWIFTLET_ERR_METHOD_NOT_ALLOWED');
  assert.match(String(wrong.headers.allow), /GET/);
  assert.match(String(wrong.headers.allow), /POST/);
});

test('agents: list and get; an API key limited to some agents sees only those', async (t) => {
  const { url } = await startTestGateway(t, {
    config: { agentExtra: SECOND_AGENT },
    keys: { admin: 'admin-key-0123456789', limited: { key: 'limited-key-0123456789', agents: ['writer'] } },
  });
  const admin = 'admin-key-0123456789';
  const limited = 'limited-key-0123456789';
  const all = await call(url, 'GET', '/v1/agents', { key: admin });
  assert.deepEqual(all.body.agents.map((a: { name: string }) => a.name).sort(), ['assistant', 'writer']);
  const one = await call(url, 'GET', '/v1/agents/assistant', { key: admin });
  assert.deepEqual(one.body, {
    name: 'assistant',
    description: '',
    model: 'mock/mock-model',
    tools: ['todo', 'current_time'],
    skills: [],
  });
  assert.equal((await call(url, 'GET', '/v1/agents/nobody', { key: admin })).status, 404);
  assert.equal((await call(url, 'GET', '/v1/agents')).status, 401);

  const mine = await call(url, 'GET', '/v1/agents', { key: limited });
  assert.deepEqual(
    mine.body.agents.map((a: { name: string }) => a.name),
    ['writer'],
  );
  assert.equal((await call(url, 'GET', '/v1/agents/assistant', { key: limited })).status, 403);

  // The limited key's default agent is its own; another agent's sessions are forbidden, and hidden from its list.
  const own = await call(url, 'POST', '/v1/sessions', { key: limited, body: {} });
  assert.equal(own.body.agent, 'writer');
  const forbidden = await call(url, 'POST', '/v1/sessions', { key: limited, body: { agent: 'assistant' } });
  assert.equal(forbidden.status, 403);
  assert.equal(forbidden.body.error.field, 'agent');
  const other = (await call(url, 'POST', '/v1/sessions', { key: admin, body: { agent: 'assistant' } })).body.id;
  assert.equal((await call(url, 'GET', `/v1/sessions/${other}`, { key: limited })).status, 404);
  const listed = await call(url, 'GET', '/v1/sessions', { key: limited });
  assert.deepEqual(
    listed.body.sessions.map((s: { id: string }) => s.id),
    [own.body.id],
  );
  assert.equal((await call(url, 'GET', '/v1/sessions?agent=assistant', { key: limited })).status, 403);
});

test('openapi.json describes every native route, without authentication', async (t) => {
  const { url, gateway } = await startTestGateway(t, { keys: { k: 'some-key-0123456789' } });
  const res = await request(url + '/openapi.json');
  assert.equal(res.statusCode, 200);
  const doc = (await res.body.json()) as {
    openapi: string;
    paths: Record<string, Record<string, unknown>>;
    components: { schemas: Record<string, { properties: Record<string, unknown> }> };
  };
  assert.equal(doc.openapi, '3.1.0');
  const native = gateway.app.routes.filter((r) => /^\/(v1\/(sessions|agents|tasks)|openapi\.json)/.test(r.path));
  assert.ok(native.length >= 16);
  for (const r of native) {
    const path = r.path.replace(/:(\w+)/g, '{$1}');
    assert.ok(doc.paths[path]?.[r.method.toLowerCase()], `${r.method} ${path} is described`);
  }
  // Every $ref points at a component that exists.
  const text = JSON.stringify(doc);
  for (const m of text.matchAll(/"#\/components\/(\w+)\/(\w+)"/g)) {
    const group = (doc.components as unknown as Record<string, Record<string, unknown>>)[m[1]!];
    assert.ok(group?.[m[2]!], `${m[0]} resolves`);
  }
  // Request bodies name the same fields the validators accept.
  assert.deepEqual(
    Object.keys(doc.components.schemas.CreateSession!.properties).sort(),
    Object.keys(createSessionBody.shape).sort(),
  );
  assert.deepEqual(
    Object.keys(doc.components.schemas.TurnRequest!.properties).sort(),
    Object.keys(turnBody.shape).sort(),
  );
});
