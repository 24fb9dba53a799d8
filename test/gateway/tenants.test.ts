// Tenants on every route and transport: a table of routes × callers, taken from the router itself, so that a route
// added later without a row here fails this test. Another tenant's session answers exactly as an unknown id.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { startTestGateway } from '../helpers/gateway.js';
import { call, type JsonReply } from './native-support.js';
import { WsClient, type Frame } from './ws-support.js';

const isEvent = (id: string, type: string) => (f: Frame) => f.type === 'event' && f.id === id && f.event.type === type;

const KEYS = {
  owner: 'owner-key-0123456789abcdef',
  sameTenant: 'same-tenant-key-0123456789',
  other: 'other-tenant-key-0123456789',
  admin: 'admin-key-0123456789abcdef',
} as const;
type Caller = keyof typeof KEYS | 'none' | 'wrong';
const CALLERS: readonly Caller[] = ['owner', 'sameTenant', 'other', 'admin', 'none', 'wrong'];

const keyOf = (c: Caller): string | undefined =>
  c === 'none' ? undefined : c === 'wrong' ? 'not-a-key-0123456789abcdef' : KEYS[c];

interface Req {
  method: 'GET' | 'POST' | 'DELETE';
  path: string;
  body?: unknown;
  headers?: Record<string, string>;
}

/** What one row expects per caller (a status), and how it builds its request (fresh fixtures when it must). */
interface Row {
  /** `path` is the route's own path (for routes without parameters). */
  build: (f: Fixtures, path: string) => Promise<Req> | Req;
  expect: Record<Caller, number>;
}

interface Fixtures {
  /** A session of tenant acme with one finished turn. */
  session: () => Promise<{ id: string; turnId: string }>;
  /** A response of tenant acme, the latest of its conversation. */
  response: () => Promise<string>;
  /** A task of tenant acme. */
  task: () => Promise<string>;
}

/** Statuses: a caller of the owning tenant, an outsider (another tenant, the admin without ?tenant), no key. */
const own = (ok: number, outsider = 404): Record<Caller, number> => ({
  owner: ok,
  sameTenant: ok,
  other: outsider,
  admin: outsider,
  none: 401,
  wrong: 401,
});
const anyKey = (ok: number): Record<Caller, number> => own(ok, ok);
const open = (ok: number): Record<Caller, number> => ({ ...anyKey(ok), none: ok, wrong: ok });

const turnBody = { input: 'hello' };
const taskBody = { target: { agent: 'assistant' }, input: { text: 'hello' } };
const chatBody = { model: 'assistant', messages: [{ role: 'user', content: 'hi' }] };

const ROWS: Record<string, Row> = {
  'GET /healthz': { build: () => ({ method: 'GET', path: '/healthz' }), expect: open(200) },
  'GET /readyz': { build: () => ({ method: 'GET', path: '/readyz' }), expect: open(200) },
  'GET /openapi.json': { build: () => ({ method: 'GET', path: '/openapi.json' }), expect: open(200) },
  'GET /': { build: () => ({ method: 'GET', path: '/' }), expect: open(200) },
  'GET /web/*': { build: (_f, path) => ({ method: 'GET', path }), expect: open(200) },
  // Metrics carry every tenant's figures: an operator's only.
  'GET /metrics': {
    build: () => ({ method: 'GET', path: '/metrics' }),
    expect: { ...anyKey(403), admin: 200, none: 401, wrong: 401 },
  },
  'GET /v1/agents': { build: () => ({ method: 'GET', path: '/v1/agents' }), expect: anyKey(200) },
  'GET /v1/agents/:name': { build: () => ({ method: 'GET', path: '/v1/agents/assistant' }), expect: anyKey(200) },
  'GET /v1/models': { build: () => ({ method: 'GET', path: '/v1/models' }), expect: anyKey(200) },
  'GET /v1/models/:model': { build: () => ({ method: 'GET', path: '/v1/models/assistant' }), expect: anyKey(200) },
  'POST /v1/sessions': { build: () => ({ method: 'POST', path: '/v1/sessions', body: {} }), expect: anyKey(201) },
  'GET /v1/sessions': { build: () => ({ method: 'GET', path: '/v1/sessions' }), expect: anyKey(200) },
  'GET /v1/sessions/:id': {
    build: async (f) => ({ method: 'GET', path: `/v1/sessions/${(await f.session()).id}` }),
    expect: own(200),
  },
  'GET /v1/sessions/:id/messages': {
    build: async (f) => ({ method: 'GET', path: `/v1/sessions/${(await f.session()).id}/messages` }),
    expect: own(200),
  },
  'DELETE /v1/sessions/:id': {
    build: async (f) => ({ method: 'DELETE', path: `/v1/sessions/${(await f.session()).id}` }),
    expect: own(204),
  },
  'POST /v1/sessions/:id/interrupt': {
    build: async (f) => ({ method: 'POST', path: `/v1/sessions/${(await f.session()).id}/interrupt`, body: {} }),
    expect: own(200),
  },
  'POST /v1/sessions/:id/turns': {
    build: async (f) => ({ method: 'POST', path: `/v1/sessions/${(await f.session()).id}/turns`, body: turnBody }),
    expect: own(200),
  },
  'GET /v1/sessions/:id/turns/:turnId/events': {
    build: async (f) => {
      const s = await f.session();
      return {
        method: 'GET',
        path: `/v1/sessions/${s.id}/turns/${s.turnId}/events`,
        headers: { 'last-event-id': '0.0' },
      };
    },
    expect: own(200),
  },
  'POST /v1/tasks': { build: () => ({ method: 'POST', path: '/v1/tasks', body: taskBody }), expect: anyKey(201) },
  'GET /v1/tasks': { build: () => ({ method: 'GET', path: '/v1/tasks' }), expect: anyKey(200) },
  'GET /v1/tasks/:id': {
    build: async (f) => ({ method: 'GET', path: `/v1/tasks/${await f.task()}` }),
    expect: own(200),
  },
  'GET /v1/tasks/:id/events': {
    build: async (f) => ({ method: 'GET', path: `/v1/tasks/${await f.task()}/events` }),
    expect: own(200),
  },
  'POST /v1/tasks/:id/cancel': {
    build: async (f) => ({ method: 'POST', path: `/v1/tasks/${await f.task()}/cancel`, body: {} }),
    expect: own(200),
  },
  // A client-chosen session id is per tenant: another tenant's caller gets a session of its own (checked below).
  'POST /v1/chat/completions': {
    build: () => ({
      method: 'POST',
      path: '/v1/chat/completions',
      body: chatBody,
      headers: { 'x-swiftlet-session': 'chosen-1' },
    }),
    expect: anyKey(200),
  },
  'POST /v1/responses': {
    build: async (f) => ({
      method: 'POST',
      path: '/v1/responses',
      body: { model: 'assistant', input: 'more', previous_response_id: await f.response() },
    }),
    expect: own(200),
  },
};

async function send(url: string, caller: Caller, r: Req): Promise<JsonReply> {
  const key = keyOf(caller);
  const headers = { ...r.headers, ...(key ? { authorization: `Bearer ${key}` } : {}) };
  if (r.path === '/' || r.path.startsWith('/web/') || r.path === '/metrics') {
    const res = await request(url + r.path, { method: r.method, headers });
    const text = await res.body.text();
    return { status: res.statusCode, headers: res.headers, body: text.startsWith('{') ? JSON.parse(text) : text };
  }
  return call(url, r.method, r.path, { headers, ...(r.body === undefined ? {} : { body: r.body }) });
}

async function startTenants(t: Parameters<typeof startTestGateway>[0]) {
  const tg = await startTestGateway(t, {
    metrics: async () => ({ contentType: 'text/plain', body: 'swiftlet_up 1\n' }),
    keys: {
      owner: { key: KEYS.owner, tenant: 'acme' },
      sameTenant: { key: KEYS.sameTenant, tenant: 'acme' },
      other: { key: KEYS.other, tenant: 'globex' },
      admin: { key: KEYS.admin, tenant: 'ops', admin: true },
    },
  });
  const fixtures: Fixtures = {
    session: async () => {
      const s = await call(tg.url, 'POST', '/v1/sessions', { key: KEYS.owner, body: {} });
      const turn = await call(tg.url, 'POST', `/v1/sessions/${s.body.id}/turns`, { key: KEYS.owner, body: turnBody });
      assert.equal(turn.status, 200);
      return { id: s.body.id, turnId: String(turn.headers['x-turn-id']) };
    },
    response: async () => {
      const r = await call(tg.url, 'POST', '/v1/responses', {
        key: KEYS.owner,
        body: { model: 'assistant', input: 'hi' },
      });
      assert.equal(r.status, 200);
      return r.body.id;
    },
    task: async () => {
      const r = await call(tg.url, 'POST', '/v1/tasks', { key: KEYS.owner, body: taskBody });
      assert.equal(r.status, 201);
      return r.body.id;
    },
  };
  return { ...tg, fixtures };
}

test('every route × every caller: owner, same tenant, other tenant, admin, no key, wrong key', async (t) => {
  const { url, gateway, fixtures } = await startTenants(t);
  const missing: string[] = [];
  const seen = new Set<string>();
  for (const route of gateway.app.routes) {
    if (route.upgrade) continue; // the WebSocket has its own test below
    const name = route.path.startsWith('/web/') ? `${route.method} /web/*` : `${route.method} ${route.path}`;
    const row = ROWS[name];
    if (!row) {
      missing.push(name);
      continue;
    }
    if (seen.has(name)) continue;
    seen.add(name);
    for (const caller of CALLERS) {
      const req = await row.build(fixtures, route.path);
      const res = await send(url, caller, req);
      assert.equal(res.status, row.expect[caller], `${name} as ${caller}: ${JSON.stringify(res.body)}`);
    }
  }
  assert.deepEqual(missing, [], 'routes without a row in the tenant table');
  assert.deepEqual([...seen].sort(), Object.keys(ROWS).sort(), 'rows for routes that do not exist');
});

test("another tenant's session answers exactly as an unknown id, and stays unchanged", async (t) => {
  const { url, fixtures } = await startTenants(t);
  const s = await fixtures.session();
  const before = await call(url, 'GET', `/v1/sessions/${s.id}/messages`, { key: KEYS.owner });
  const unknown = 'ses_does_not_exist';
  for (const [method, path, body] of [
    ['GET', '/v1/sessions/{id}', undefined],
    ['GET', '/v1/sessions/{id}/messages', undefined],
    ['POST', '/v1/sessions/{id}/turns', turnBody],
    ['POST', '/v1/sessions/{id}/interrupt', {}],
    ['DELETE', '/v1/sessions/{id}', undefined],
  ] as const) {
    const theirs = await call(url, method, path.replace('{id}', s.id), { key: KEYS.other, ...(body ? { body } : {}) });
    const none = await call(url, method, path.replace('{id}', unknown), { key: KEYS.other, ...(body ? { body } : {}) });
    assert.equal(theirs.status, 404, `${method} ${path}`);
    assert.deepEqual(theirs.body, JSON.parse(JSON.stringify(none.body).replaceAll(unknown, s.id)), `${method} ${path}`);
  }
  const events = await call(url, 'GET', `/v1/sessions/${s.id}/turns/${s.turnId}/events`, { key: KEYS.other });
  assert.equal(events.status, 404);
  // A non-admin key cannot name a tenant; the admin reads (and may delete) by naming it.
  const named = await call(url, 'GET', `/v1/sessions/${s.id}?tenant=acme`, { key: KEYS.other });
  assert.equal(named.status, 403);
  assert.equal(named.body.error.field, 'tenant');
  const admin = await call(url, 'GET', `/v1/sessions/${s.id}?tenant=acme`, { key: KEYS.admin });
  assert.equal(admin.status, 200);
  assert.equal(admin.body.tenant, 'acme');
  const adminTurn = await call(url, 'POST', `/v1/sessions/${s.id}/turns?tenant=acme`, {
    key: KEYS.admin,
    body: turnBody,
  });
  assert.equal(adminTurn.status, 400, 'turns run in the caller’s own tenant');
  assert.deepEqual((await call(url, 'GET', `/v1/sessions/${s.id}/messages`, { key: KEYS.owner })).body, before.body);

  // Lists: each tenant its own; the admin every tenant, each session with its tenant, filtered by ?tenant=.
  await call(url, 'POST', '/v1/sessions', { key: KEYS.other, body: {} });
  const ids = async (key: string, q = '') =>
    (await call(url, 'GET', `/v1/sessions${q}`, { key })).body.sessions.map((x: { tenant: string }) => x.tenant);
  assert.ok((await ids(KEYS.owner)).every((tn: string) => tn === 'acme'));
  assert.ok((await ids(KEYS.sameTenant)).includes('acme'));
  assert.deepEqual(await ids(KEYS.other), ['globex']);
  assert.deepEqual(new Set(await ids(KEYS.admin)), new Set(['acme', 'globex']));
  assert.deepEqual(await ids(KEYS.admin, '?tenant=globex'), ['globex']);
  assert.equal((await call(url, 'GET', '/v1/sessions?tenant=acme', { key: KEYS.other })).status, 403);

  // The admin deletes another tenant's session by naming it.
  assert.equal((await call(url, 'DELETE', `/v1/sessions/${s.id}?tenant=acme`, { key: KEYS.admin })).status, 204);
  assert.equal((await call(url, 'GET', `/v1/sessions/${s.id}`, { key: KEYS.owner })).status, 404);
});

test('OpenAI API: one X-Swiftlet-Session id in two tenants is two conversations; a foreign response id is unknown', async (t) => {
  const { url, mock } = await startTenants(t);
  const chat = (key: string, content: string) =>
    call(url, 'POST', '/v1/chat/completions', {
      key,
      headers: { 'x-swiftlet-session': 'support-42' },
      body: { model: 'assistant', messages: [{ role: 'user', content }] },
    });
  assert.equal((await chat(KEYS.owner, 'my card is 4242')).status, 200);
  assert.equal((await chat(KEYS.other, 'hello')).status, 200);
  // The second tenant's call was sent only its own message: the first tenant's history never reached the model.
  const last = mock.requests.at(-1)!;
  assert.doesNotMatch(JSON.stringify(last.body), /4242/);
  const msgs = async (key: string) =>
    (await call(url, 'GET', '/v1/sessions/support-42/messages', { key })).body.messages.map(
      (m: { text: string }) => m.text,
    );
  assert.equal((await msgs(KEYS.owner))[0], 'my card is 4242');
  assert.equal((await msgs(KEYS.other))[0], 'hello');
  assert.equal((await msgs(KEYS.sameTenant))[0], 'my card is 4242');

  const first = await call(url, 'POST', '/v1/responses', { key: KEYS.owner, body: { model: 'assistant', input: 'a' } });
  const foreign = await call(url, 'POST', '/v1/responses', {
    key: KEYS.other,
    body: { model: 'assistant', input: 'b', previous_response_id: first.body.id },
  });
  assert.equal(foreign.status, 404);
  assert.doesNotMatch(JSON.stringify(foreign.body), /latest|resp_.*resp_/);
  // Stale in its own tenant: 400 naming the latest, which is the caller's own data.
  await call(url, 'POST', '/v1/responses', {
    key: KEYS.owner,
    body: { model: 'assistant', input: 'c', previous_response_id: first.body.id },
  });
  const stale = await call(url, 'POST', '/v1/responses', {
    key: KEYS.other,
    body: { model: 'assistant', input: 'd', previous_response_id: first.body.id },
  });
  assert.equal(stale.status, 404, 'another tenant still learns nothing, not even that the conversation moved on');
});

test('WebSocket: handshake per caller; turn and interrupt messages reach only the caller’s tenant', async (t) => {
  const { url, mock } = await startTenants(t);
  for (const [caller, status] of [
    ['none', 401],
    ['wrong', 401],
  ] as const) {
    await assert.rejects(
      WsClient.open(url, { headers: { authorization: `Bearer ${keyOf(caller) ?? ''}` } }),
      new RegExp(`handshake answered ${status}`),
    );
  }
  const owner = await WsClient.open(url, { headers: { authorization: `Bearer ${KEYS.owner}` } });
  const other = await WsClient.open(url, { headers: { authorization: `Bearer ${KEYS.other}` } });
  const admin = await WsClient.open(url, { headers: { authorization: `Bearer ${KEYS.admin}` } });
  t.after(() => {
    for (const c of [owner, other, admin]) c.ws.close();
  });
  mock.injectFault({ kind: 'stall', afterTokens: 1 });
  owner.send({ type: 'turn', id: 'o', sessionId: 'ws-chosen', input: 'secret 4242' });
  await owner.waitFor(isEvent('o', 'text-delta'));
  // Another tenant's interrupt (and the admin's: the WebSocket works in the caller's own tenant) stops nothing.
  for (const c of [other, admin]) {
    c.send({ type: 'interrupt', id: 'i', sessionId: 'ws-chosen' });
    const r = await c.waitFor((f) => f.id === 'i');
    assert.deepEqual(r, { type: 'interrupt-result', id: 'i', sessionId: 'ws-chosen', interrupted: false });
  }
  // The same id from another tenant is its own session: it runs at once, beside the stalled one.
  other.send({ type: 'turn', id: 'x', sessionId: 'ws-chosen', input: 'hello' });
  const end = await other.turnEnd('x');
  assert.equal(end.event.outcome, 'final');
  assert.doesNotMatch(JSON.stringify(mock.requests.at(-1)!.body), /4242/);
  owner.send({ type: 'interrupt', id: 'mine', sessionId: 'ws-chosen' });
  assert.equal((await owner.waitFor((f) => f.id === 'mine')).interrupted, true);
  assert.equal((await owner.turnEnd('o')).event.outcome, 'interrupted');
});
