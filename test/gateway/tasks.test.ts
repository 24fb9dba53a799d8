// The task API over real HTTP, on the mock LLM: every configured agent consumes the tasks sent to it, so a task
// published here is answered by the runtime's own agents. No timing assertions; every wait is bounded.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { PATIENT_TIMEOUTS, tempDir, type TestConfigOptions } from '../helpers/runtime.js';
import { postgresStorage } from '../helpers/services.js';
import { createTaskBody } from '../../src/gateway/native/schemas.js';
import { call, openSse, SseParser, waitUntil, type JsonReply, type SseEvent } from './native-support.js';

const KEYS = {
  owner: 'owner-key-0123456789abcdef',
  other: 'other-tenant-key-0123456789',
  admin: 'admin-key-0123456789abcdef',
  limited: 'limited-key-0123456789abcdef',
} as const;

// researcher offers search and summarise; assistant offers summarise too.
const AGENTS = {
  assistant: '    skills: [summarise]',
  agentExtra: `
  researcher:
    model: mock/mock-model
    skills: [search, { name: summarise, description: Short summaries }]
`,
};

const hello = { target: { agent: 'assistant' }, input: { text: 'hello' } };

async function start(
  t: TestContext,
  o: { config?: Omit<TestConfigOptions, 'mockUrl'>; slow?: boolean; keys?: boolean } = {},
): Promise<TestGateway> {
  return startTestGateway(t, {
    config: { ...AGENTS, ...(o.slow ? { timeouts: PATIENT_TIMEOUTS } : {}), ...o.config },
    ...(o.slow ? { mock: { firstTokenMs: 600_000 } } : {}),
    ...(o.keys
      ? {
          keys: {
            owner: { key: KEYS.owner, tenant: 'acme' },
            other: { key: KEYS.other, tenant: 'globex' },
            admin: { key: KEYS.admin, tenant: 'ops', admin: true },
            limited: { key: KEYS.limited, tenant: 'acme', agents: ['assistant'] },
          },
        }
      : {}),
  });
}

/** Polls the task until `done` holds for it (bounded). */
async function until(url: string, id: string, done: (task: JsonReply['body']) => boolean, key?: string) {
  let last: JsonReply | undefined;
  await waitUntil(
    async () => {
      last = await call(url, 'GET', `/v1/tasks/${id}`, key ? { key } : {});
      return last.status === 200 && done(last.body);
    },
    `task ${id}`,
    15_000,
  );
  return last!.body;
}

const ended = (t: { state: string }): boolean => ['completed', 'failed', 'canceled', 'rejected'].includes(t.state);

/** A plain `fetch` client, as a user without our helpers would write it. */
async function fetchJson(
  url: string,
  init: RequestInit = {},
): Promise<{ status: number; headers: Headers; body: JsonReply['body'] }> {
  const res = await fetch(url, init);
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text === '' ? undefined : JSON.parse(text) };
}

async function fetchSse(url: string, headers: Record<string, string> = {}): Promise<SseEvent[]> {
  const res = await fetch(url, { headers: { accept: 'text/event-stream', ...headers } });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
  const parser = new SseParser();
  const events: SseEvent[] = [];
  const decoder = new TextDecoder();
  for await (const chunk of res.body!)
    events.push(...parser.push(decoder.decode(chunk as Uint8Array, { stream: true })));
  return events;
}

async function flow(t: TestContext, storage?: string): Promise<void> {
  const { url } = await start(t, storage ? { config: { storage } } : {});
  const post = (body: unknown) =>
    fetchJson(`${url}/v1/tasks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  const created = await post({ ...hello, input: { text: 'Find the tides', data: { port: 'Brest' } }, priority: 3 });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const task = created.body;
  assert.equal(created.headers.get('location'), `/v1/tasks/${task.id}`);
  assert.match(task.id, /^task_/);
  assert.equal(task.tenant, 'local');
  assert.deepEqual(task.target, { agent: 'assistant' });
  assert.deepEqual(task.input, { text: 'Find the tides', data: { port: 'Brest' } });
  assert.deepEqual(task.requester, { kind: 'key', id: 'anonymous' });
  assert.equal(task.priority, 3);
  assert.equal(task.depth, 0);
  assert.equal(task.attempt, 0);
  assert.equal(typeof task.maxAttempts, 'number');
  assert.ok(!Number.isNaN(Date.parse(task.createdAt)) && task.createdAt.endsWith('Z'));
  assert.ok(['submitted', 'working'].includes(task.state));

  // Its events as SSE, from the first to the terminal state; the stream then ends.
  const events = await fetchSse(`${url}/v1/tasks/${task.id}/events`);
  assert.deepEqual(
    events.map((e) => Number(e.id)),
    events.map((_, i) => i + 1),
    'ids are the seqs, from 1',
  );
  assert.equal(events[0]!.event, 'state');
  assert.equal(events[0]!.data.state, 'submitted');
  assert.ok(events.some((e) => e.event === 'state' && e.data.state === 'working' && e.data.assignee === 'assistant'));
  assert.ok(events.some((e) => e.event === 'progress' && typeof e.data.text === 'string'));
  const last = events.at(-1)!;
  assert.deepEqual([last.event, last.data.state], ['state', 'completed']);
  assert.equal(last.data.seq, Number(last.id));

  const done = await fetchJson(`${url}/v1/tasks/${task.id}`);
  assert.equal(done.status, 200);
  assert.equal(done.body.state, 'completed');
  assert.equal(done.body.assignee, 'assistant');
  assert.equal(done.body.attempt, 1);
  assert.match(done.body.result.message, /^Mock reply to: "Find the tides/);
  assert.equal(done.body.lastSeq, Number(last.id));

  // The same events as JSON, and after a seq.
  const json = await fetchJson(`${url}/v1/tasks/${task.id}/events?after=1`);
  assert.equal(json.status, 200);
  assert.equal(json.body.done, true);
  assert.deepEqual(
    json.body.events.map((e: { seq: number }) => e.seq),
    events.slice(1).map((e) => Number(e.id)),
  );

  // Lists: newest first, filtered.
  const second = await post({ target: { skill: 'search' }, input: { text: 'more' } });
  assert.equal(second.status, 201);
  await until(url, second.body.id, ended);
  const all = await fetchJson(`${url}/v1/tasks`);
  assert.deepEqual(
    all.body.tasks.map((x: { id: string }) => x.id),
    [second.body.id, task.id],
  );
  assert.equal(all.body.nextCursor, undefined);
  const byAgent = await fetchJson(`${url}/v1/tasks?agent=researcher`);
  assert.deepEqual(
    byAgent.body.tasks.map((x: { id: string }) => x.id),
    [second.body.id],
    'held by it',
  );
  const page = await fetchJson(`${url}/v1/tasks?limit=1`);
  assert.equal(page.body.tasks.length, 1);
  const rest = await fetchJson(`${url}/v1/tasks?limit=1&cursor=${page.body.nextCursor}`);
  assert.deepEqual(
    rest.body.tasks.map((x: { id: string }) => x.id),
    [task.id],
  );
  const completed = await fetchJson(`${url}/v1/tasks?state=completed`);
  assert.equal(completed.body.tasks.length, 2);
  assert.deepEqual((await fetchJson(`${url}/v1/tasks?state=failed`)).body, { tasks: [] });
}

test('a task sent over HTTP is answered by the agent: create, SSE events, get, list (plain fetch)', async (t) => {
  await flow(t);
});

test('the same on SQLite', async (t) => {
  const dir = tempDir(t);
  await flow(t, `{ driver: sqlite, path: ${JSON.stringify(join(dir, 'db.sqlite'))} }`);
});

test('the same on PostgreSQL', async (t) => {
  const storage = await postgresStorage(t, 'tasks_api');
  if (!storage) return;
  await flow(t, storage);
});

test('GET /v1/agents lists the skills of each agent, the targets of skill tasks', async (t) => {
  const { url } = await start(t);
  const { body } = await call(url, 'GET', '/v1/agents');
  const skills = Object.fromEntries(
    (body.agents as { name: string; skills: unknown }[]).map((a) => [a.name, a.skills]),
  );
  assert.deepEqual(skills, {
    assistant: [{ name: 'summarise', description: '' }],
    researcher: [
      { name: 'search', description: '' },
      { name: 'summarise', description: 'Short summaries' },
    ],
  });
});

test('validation: every bad request names its field', async (t) => {
  const { url } = await start(t, { config: { limits: '{ maxInputBytes: 64 }' } });
  const later = new Date(Date.now() + 3_600_000).toISOString();
  const cases: [unknown, number, string, RegExp?][] = [
    [{}, 400, 'target'],
    [{ input: { text: 'x' } }, 400, 'target', /required/],
    [{ target: {}, input: { text: 'x' } }, 400, 'target', /exactly one of agent, skill or broadcast/],
    [{ target: { agent: 'assistant', skill: 'search' }, input: { text: 'x' } }, 400, 'target.skill'],
    [{ target: { agent: 'assistant', filter: { skill: 'search' } }, input: { text: 'x' } }, 400, 'target.filter'],
    [{ target: { broadcast: false }, input: { text: 'x' } }, 400, 'target.broadcast'],
    [{ target: { agent: 'assistant', extra: 1 }, input: { text: 'x' } }, 400, 'target.extra', /unknown field/],
    [{ target: { agent: '' }, input: { text: 'x' } }, 400, 'target.agent'],
    [{ target: { agent: 'nobody' }, input: { text: 'x' } }, 404, 'target.agent', /no agent named "nobody"/],
    [{ target: { skill: 'juggling' }, input: { text: 'x' } }, 400, 'target.skill', /no configured agent offers/],
    [{ target: { broadcast: true, filter: { agents: ['ghost'] } }, input: { text: 'x' } }, 404, 'target.filter.agents'],
    [{ target: { broadcast: true, filter: { skill: 'juggling' } }, input: { text: 'x' } }, 400, 'target.filter.skill'],
    [{ target: { broadcast: true, filter: { agents: [] } }, input: { text: 'x' } }, 400, 'target.filter.agents'],
    [{ target: { agent: 'assistant' } }, 400, 'input', /required/],
    [{ target: { agent: 'assistant' }, input: {} }, 400, 'input', /text, data or both/],
    [{ target: { agent: 'assistant' }, input: { text: '' } }, 400, 'input.text'],
    [{ target: { agent: 'assistant' }, input: { text: 7 } }, 400, 'input.text'],
    [{ target: { agent: 'assistant' }, input: { text: 'x'.repeat(65) } }, 400, 'input.text', /maxInputBytes/],
    [{ target: { agent: 'assistant' }, input: { data: { big: 'x'.repeat(65) } } }, 400, 'input', /maxInputBytes/],
    [{ ...hello, priority: 1.5 }, 400, 'priority'],
    [{ ...hello, priority: '1' }, 400, 'priority'],
    [{ ...hello, deadline: 'tomorrow' }, 400, 'deadline', /ISO 8601/],
    [{ ...hello, deadline: '2030-01-01' }, 400, 'deadline', /ISO 8601/],
    [{ ...hello, deadline: '2001-01-01T00:00:00Z' }, 400, 'deadline', /in the future/],
    [{ ...hello, deadline: Date.now() - 1000 }, 400, 'deadline', /in the future/],
    [{ ...hello, deadline: 1.5 }, 400, 'deadline'],
    [{ ...hello, idempotencyKey: '' }, 400, 'idempotencyKey'],
    [{ ...hello, idempotencyKey: 'k'.repeat(129) }, 400, 'idempotencyKey'],
    [{ ...hello, parentId: 'task_nope' }, 404, 'parentId', /no task task_nope/],
    [{ ...hello, colour: 'blue' }, 400, 'colour', /unknown field/],
  ];
  for (const [body, status, field, message] of cases) {
    const r = await call(url, 'POST', '/v1/tasks', { body });
    const what = JSON.stringify(body).slice(0, 120);
    assert.equal(r.status, status, `${what}: ${JSON.stringify(r.body)}`);
    assert.equal(r.body.error.field, field, what);
    assert.ok(r.body.error.message.startsWith(`${field}: `) || field === 'target', `${what}: ${r.body.error.message}`);
    if (message) assert.match(r.body.error.message, message, what);
  }
  // Good ones: a future deadline as ISO time and as epoch ms; data alone.
  for (const body of [
    { ...hello, deadline: later },
    { ...hello, deadline: Date.now() + 3_600_000 },
    { target: { agent: 'assistant' }, input: { data: [1, 2] } },
  ]) {
    const r = await call(url, 'POST', '/v1/tasks', { body });
    assert.equal(r.status, 201, JSON.stringify(r.body));
  }
  const withDeadline = (await call(url, 'POST', '/v1/tasks', { body: { ...hello, deadline: later } })).body;
  assert.equal(withDeadline.deadline, later);

  // Query parameters and ids.
  const one = withDeadline.id;
  for (const [path, status, field] of [
    ['/v1/tasks?limit=0', 400, 'limit'],
    ['/v1/tasks?limit=x', 400, 'limit'],
    ['/v1/tasks?state=done', 400, 'state'],
    ['/v1/tasks?cursor=garbage', 400, 'cursor'],
    ['/v1/tasks/task_unknown', 404, 'id'],
    ['/v1/tasks/not%20an%20id', 404, 'id'],
    [`/v1/tasks/${one}/events?after=x`, 400, 'after'],
    [`/v1/tasks/${one}/events?after=-1`, 400, 'after'],
    [`/v1/tasks/${one}/events?after=1000000`, 400, 'after'],
    ['/v1/tasks/task_unknown/events', 404, 'id'],
  ] as const) {
    const r = await call(url, 'GET', path);
    assert.equal(r.status, status, `${path}: ${JSON.stringify(r.body)}`);
    assert.equal(r.body.error.field, field, path);
  }
  const badHeader = await call(url, 'GET', `/v1/tasks/${one}/events`, { headers: { 'last-event-id': '1.0' } });
  assert.equal(badHeader.status, 400);
  assert.equal(badHeader.body.error.field, 'Last-Event-ID');
  const unknown = await call(url, 'GET', '/v1/tasks/task_unknown');
  assert.deepEqual(unknown.body, {
    error: { code: 'SWIFTLET_ERR_TASK_NOT_FOUND', message: 'no task task_unknown', field: 'id' },
  });
  const cancelBad = await call(url, 'POST', `/v1/tasks/${one}/cancel`, { body: { reason: 5 } });
  assert.equal(cancelBad.status, 400);
  assert.equal(cancelBad.body.error.field, 'reason');
  assert.equal((await call(url, 'POST', '/v1/tasks/task_unknown/cancel')).status, 404);
  const notJson = await call(url, 'POST', '/v1/tasks', { raw: 'x', headers: { 'content-type': 'text/plain' } });
  assert.equal(notJson.status, 415);
  const brokenJson = await call(url, 'POST', '/v1/tasks', {
    raw: '{',
    headers: { 'content-type': 'application/json' },
  });
  assert.equal(brokenJson.status, 400);
  assert.equal(brokenJson.body.error.field, 'body');
});

test('idempotency: the same key returns the first task (200), per tenant', async (t) => {
  const { url } = await start(t, { keys: true });
  const body = { ...hello, idempotencyKey: 'order-42' };
  const first = await call(url, 'POST', '/v1/tasks', { key: KEYS.owner, body });
  assert.equal(first.status, 201);
  assert.equal(first.body.idempotencyKey, 'order-42');
  const again = await call(url, 'POST', '/v1/tasks', {
    key: KEYS.owner,
    body: { ...body, input: { text: 'something else' } },
  });
  assert.equal(again.status, 200);
  assert.equal(again.body.id, first.body.id);
  assert.deepEqual(again.body.input, { text: 'hello' }, 'the first task, as it was sent');
  assert.equal(again.headers.location, `/v1/tasks/${first.body.id}`);
  // Another tenant's key space is its own.
  const theirs = await call(url, 'POST', '/v1/tasks', { key: KEYS.other, body });
  assert.equal(theirs.status, 201);
  assert.notEqual(theirs.body.id, first.body.id);
  const listed = await call(url, 'GET', '/v1/tasks', { key: KEYS.owner });
  assert.deepEqual(
    listed.body.tasks.map((x: { id: string }) => x.id),
    [first.body.id],
  );
  assert.deepEqual(first.body.requester, { kind: 'key', id: 'owner' });
});

test('a full queue answers 429 SWIFTLET_ERR_QUEUE_FULL with Retry-After, and records nothing', async (t) => {
  const { url, mock } = await start(t, {
    slow: true,
    config: { bus: '{ maxQueued: 1 }', assistant: '    skills: [summarise]\n    maxConcurrentTasks: 1' },
    keys: true,
  });
  const post = (key: string) => call(url, 'POST', '/v1/tasks', { key, body: hello });
  const running = await post(KEYS.owner);
  assert.equal(running.status, 201);
  await mock.waitFor((r) => r.format === 'openai-chat');
  const queued = await post(KEYS.owner);
  assert.equal(queued.status, 201);
  const refused = await post(KEYS.owner);
  assert.equal(refused.status, 429, JSON.stringify(refused.body));
  assert.equal(refused.body.error.code, 'SWIFTLET_ERR_QUEUE_FULL');
  assert.equal(refused.headers['retry-after'], '1');
  // The limit is per tenant: another tenant's task is queued beside.
  assert.equal((await post(KEYS.other)).status, 201);
  const mine = await call(url, 'GET', '/v1/tasks', { key: KEYS.owner });
  assert.deepEqual(
    mine.body.tasks.map((x: { id: string }) => x.id),
    [queued.body.id, running.body.id],
  );
  assert.equal((await until(url, running.body.id, (x) => x.state === 'working', KEYS.owner)).assignee, 'assistant');
  assert.equal((await call(url, 'GET', `/v1/tasks/${queued.body.id}`, { key: KEYS.owner })).body.state, 'submitted');
  // Canceling the queued one makes room.
  assert.equal((await call(url, 'POST', `/v1/tasks/${queued.body.id}/cancel`, { key: KEYS.owner })).status, 200);
  assert.equal((await post(KEYS.owner)).status, 201);
});

test('tenants: another tenant’s task is an unknown id; a key limited to some agents sends only to them', async (t) => {
  const { url } = await start(t, { keys: true });
  const mine = await call(url, 'POST', '/v1/tasks', { key: KEYS.owner, body: hello });
  assert.equal(mine.status, 201);
  const id = mine.body.id as string;
  await until(url, id, ended, KEYS.owner);
  const unknown = 'task_01unknown';
  for (const [method, path] of [
    ['GET', '/v1/tasks/{id}'],
    ['GET', '/v1/tasks/{id}/events'],
    ['POST', '/v1/tasks/{id}/cancel'],
  ] as const) {
    const theirs = await call(url, method, path.replace('{id}', id), { key: KEYS.other });
    const none = await call(url, method, path.replace('{id}', unknown), { key: KEYS.other });
    assert.equal(theirs.status, 404, `${method} ${path}`);
    assert.deepEqual(theirs.body, JSON.parse(JSON.stringify(none.body).replaceAll(unknown, id)), `${method} ${path}`);
    // The admin reaches it by naming the tenant; without, it is as unknown to it as to anyone.
    assert.equal((await call(url, method, path.replace('{id}', id), { key: KEYS.admin })).status, 404);
    assert.equal((await call(url, method, `${path.replace('{id}', id)}?tenant=acme`, { key: KEYS.admin })).status, 200);
  }
  const sse = await openSse(url, 'GET', `/v1/tasks/${id}/events`, {
    headers: { authorization: `Bearer ${KEYS.other}` },
  });
  assert.equal(sse.status, 404);
  sse.close();
  const named = await call(url, 'GET', `/v1/tasks/${id}?tenant=acme`, { key: KEYS.other });
  assert.equal(named.status, 403);
  assert.equal(named.body.error.field, 'tenant');
  const adminPost = await call(url, 'POST', '/v1/tasks?tenant=acme', { key: KEYS.admin, body: hello });
  assert.equal(adminPost.status, 400, 'tasks are sent in the caller’s own tenant');
  assert.equal(adminPost.body.error.field, 'tenant');

  // Lists: each tenant its own; the admin every tenant, or the one it names.
  const theirs = await call(url, 'POST', '/v1/tasks', { key: KEYS.other, body: hello });
  const tenants = async (key: string, q = '') =>
    (await call(url, 'GET', `/v1/tasks${q}`, { key })).body.tasks.map((x: { tenant: string }) => x.tenant);
  assert.deepEqual(await tenants(KEYS.owner), ['acme']);
  assert.deepEqual(await tenants(KEYS.other), ['globex']);
  assert.deepEqual(new Set(await tenants(KEYS.admin)), new Set(['acme', 'globex']));
  assert.deepEqual(await tenants(KEYS.admin, '?tenant=globex'), ['globex']);
  assert.equal((await call(url, 'GET', '/v1/tasks?tenant=globex', { key: KEYS.owner })).status, 403);
  await until(url, theirs.body.id, ended, KEYS.other);

  // A key limited to assistant: researcher, a skill researcher also offers, and a broadcast reaching it are 403.
  const refused: [unknown, string][] = [
    [{ agent: 'researcher' }, 'target.agent'],
    [{ skill: 'summarise' }, 'target.skill'],
    [{ skill: 'search' }, 'target.skill'],
    [{ broadcast: true }, 'target'],
    [{ broadcast: true, filter: { skill: 'summarise' } }, 'target'],
  ];
  for (const [target, field] of refused) {
    const r = await call(url, 'POST', '/v1/tasks', { key: KEYS.limited, body: { target, input: { text: 'x' } } });
    assert.equal(r.status, 403, JSON.stringify(target));
    assert.equal(r.body.error.code, 'SWIFTLET_ERR_FORBIDDEN');
    assert.equal(r.body.error.field, field);
    assert.match(r.body.error.message, /"researcher"/);
  }
  const own = await call(url, 'POST', '/v1/tasks', { key: KEYS.limited, body: hello });
  assert.equal(own.status, 201);
  const narrowed = await call(url, 'POST', '/v1/tasks', {
    key: KEYS.limited,
    body: { target: { broadcast: true, filter: { agents: ['assistant'] } }, input: { text: 'all of you' } },
  });
  assert.equal(narrowed.status, 201, JSON.stringify(narrowed.body));
  // It sees the tenant's tasks it could have sent, not the researcher's.
  const research = await call(url, 'POST', '/v1/tasks', {
    key: KEYS.owner,
    body: { target: { agent: 'researcher' }, input: { text: 'dig' } },
  });
  assert.equal((await call(url, 'GET', `/v1/tasks/${research.body.id}`, { key: KEYS.limited })).status, 404);
  assert.equal((await call(url, 'GET', `/v1/tasks/${id}`, { key: KEYS.limited })).status, 200, 'same tenant');
  const visible = (await call(url, 'GET', '/v1/tasks', { key: KEYS.limited })).body.tasks.map(
    (x: { id: string }) => x.id,
  );
  assert.ok(visible.includes(id) && visible.includes(own.body.id) && visible.includes(narrowed.body.id));
  assert.ok(!visible.includes(research.body.id));
  const byResearcher = await call(url, 'GET', '/v1/tasks?agent=researcher', { key: KEYS.limited });
  assert.equal(byResearcher.status, 403);
  assert.equal(byResearcher.body.error.field, 'agent');
  await until(url, narrowed.body.id, ended, KEYS.limited);
  await until(url, research.body.id, ended, KEYS.owner);
});

test('SSE: Last-Event-ID resumes a running task’s events; an ended one answers 204 after its last', async (t) => {
  const { url, mock } = await start(t, { slow: true });
  const created = await call(url, 'POST', '/v1/tasks', { body: hello });
  const id = created.body.id as string;
  await mock.waitFor((r) => r.format === 'openai-chat');
  const first = await openSse(url, 'GET', `/v1/tasks/${id}/events`);
  assert.equal(first.status, 200);
  assert.equal(first.headers['x-task-id'], id);
  const seen = await first.read((e) => e.event === 'state' && e.data.state === 'working');
  first.close();
  assert.deepEqual(
    seen.map((e) => [e.id, e.data.state]),
    [
      ['1', 'submitted'],
      ['2', 'working'],
    ],
  );
  // Canceled while nobody watched; a reader resuming after seq 2 gets what followed, and the stream ends.
  const canceled = await call(url, 'POST', `/v1/tasks/${id}/cancel`, { body: { reason: 'not needed' } });
  assert.equal(canceled.status, 200);
  assert.equal(canceled.body.state, 'canceled');
  const resumed = await openSse(url, 'GET', `/v1/tasks/${id}/events`, { headers: { 'last-event-id': '2' } });
  const rest = await resumed.read();
  assert.ok(rest.length >= 1);
  assert.ok(rest.every((e) => Number(e.id) > 2));
  const end = rest.at(-1)!;
  assert.deepEqual([end.event, end.data.state, end.data.message], ['state', 'canceled', 'not needed']);
  // ?after= is the same for clients that cannot set headers.
  const byQuery = await openSse(url, 'GET', `/v1/tasks/${id}/events?after=2`);
  assert.deepEqual(
    (await byQuery.read()).map((e) => e.id),
    rest.map((e) => e.id),
  );
  const after = await openSse(url, 'GET', `/v1/tasks/${id}/events`, { headers: { 'last-event-id': end.id } });
  assert.equal(after.status, 204);
  after.close();
  // Cancel again: the ended task, unchanged.
  const again = await call(url, 'POST', `/v1/tasks/${id}/cancel`);
  assert.equal(again.status, 200);
  assert.deepEqual(again.body, canceled.body);
  await mock.waitFor((r) => r.clientClosed, 5000);
});

test('a live reader sees progress as it is written, and the stream ends with the task', async (t) => {
  const { url, mock } = await start(t);
  mock.configure({ tokenDelayMs: 20, outputTokens: 30 });
  const created = await call(url, 'POST', '/v1/tasks', {
    body: { target: { skill: 'search' }, input: { text: 'look it up' } },
  });
  const sse = await openSse(url, 'GET', `/v1/tasks/${created.body.id}/events`);
  const events = await sse.read();
  assert.deepEqual(events[0]!.data.state, 'submitted');
  assert.ok(events.some((e) => e.event === 'progress'));
  const text = events.flatMap((e) => (e.event === 'progress' && e.data.text ? [e.data.text as string] : [])).join('');
  const done = (await call(url, 'GET', `/v1/tasks/${created.body.id}`)).body;
  assert.equal(done.state, 'completed');
  assert.equal(done.assignee, 'researcher');
  assert.equal(text, done.result.message, 'the progress texts make up the answer');
  assert.equal(events.at(-1)!.data.state, 'completed');
});

test('broadcast: one child per agent, the parent completes with their states; cancel of a working task', async (t) => {
  const { url } = await start(t);
  const sent = await call(url, 'POST', '/v1/tasks', {
    body: { target: { broadcast: true }, input: { text: 'status report' } },
  });
  assert.equal(sent.status, 201, JSON.stringify(sent.body));
  const parent = await until(url, sent.body.id, ended);
  assert.equal(parent.state, 'completed');
  const children = parent.result.children as { id: string; agent: string; state: string }[];
  assert.deepEqual(children.map((c) => c.agent).sort(), ['assistant', 'researcher']);
  assert.ok(children.every((c) => c.state === 'completed'));
  const listed = await call(url, 'GET', `/v1/tasks?parent=${sent.body.id}`);
  assert.deepEqual(listed.body.tasks.map((x: { id: string }) => x.id).sort(), children.map((c) => c.id).sort());
  for (const c of listed.body.tasks) assert.equal(c.parentId, sent.body.id);
  const filtered = await call(url, 'POST', '/v1/tasks', {
    body: { target: { broadcast: true, filter: { skill: 'search' } }, input: { text: 'only you' } },
  });
  assert.equal(filtered.status, 201);
  const only = await until(url, filtered.body.id, ended);
  assert.deepEqual(
    only.result.children.map((c: { agent: string }) => c.agent),
    ['researcher'],
  );
});

test('cancel interrupts a working task; its state is canceled and stays so', async (t) => {
  const { url, mock } = await start(t, { slow: true });
  const created = await call(url, 'POST', '/v1/tasks', { body: hello });
  await until(url, created.body.id, (x) => x.state === 'working');
  await mock.waitFor((r) => r.format === 'openai-chat');
  const canceled = await call(url, 'POST', `/v1/tasks/${created.body.id}/cancel`);
  assert.equal(canceled.status, 200);
  assert.equal(canceled.body.state, 'canceled');
  await mock.waitFor((r) => r.clientClosed, 5000);
  const events = await call(url, 'GET', `/v1/tasks/${created.body.id}/events`);
  assert.equal(events.body.done, true);
  assert.deepEqual(
    events.body.events.filter((e: { type: string }) => e.type === 'state').map((e: { state: string }) => e.state),
    ['submitted', 'working', 'canceled'],
  );
  assert.equal((await call(url, 'GET', `/v1/tasks/${created.body.id}`)).body.state, 'canceled');
});

test('the CreateTask schema in /openapi.json names the fields the validator accepts', async (t) => {
  const { url } = await start(t);
  const doc = (await call(url, 'GET', '/openapi.json')).body;
  assert.deepEqual(
    Object.keys(doc.components.schemas.CreateTask.properties).sort(),
    Object.keys(createTaskBody.shape).sort(),
  );
  for (const path of ['/v1/tasks', '/v1/tasks/{id}', '/v1/tasks/{id}/events', '/v1/tasks/{id}/cancel']) {
    assert.ok(doc.paths[path], path);
  }
});
