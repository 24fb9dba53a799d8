// Ownership is stored, not held in memory: the same client-chosen id in two tenants stays two sessions across a restart
// of the server, over the native API, the OpenAI API and the WebSocket, on SQLite and on PostgreSQL. A store written
// before tenants existed is readable by keyless use (tenant local) and by an admin key.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import pino from 'pino';
import { DEFAULT_SERVER_OPTIONS, startGateway, type ApiKeyOptions } from '../../src/gateway/index.js';
import { sha256Hex } from '../../src/gateway/auth.js';
import { startMockLlm, type MockLlm } from '../../src/model/index.js';
import { createRuntime } from '../../src/runtime/index.js';
import { tempDir, testConfig } from '../helpers/runtime.js';
import { postgresStorage } from '../helpers/services.js';
import { writeSqliteV1 } from '../helpers/store-v1.js';
import { call } from './native-support.js';
import { WsClient } from './ws-support.js';

const A = 'tenant-a-key-0123456789abcdef';
const B = 'tenant-b-key-0123456789abcdef';
const ADMIN = 'admin-key-0123456789abcdef00';
const KEYS: ApiKeyOptions[] = [
  { name: 'a', sha256: sha256Hex(A), tenant: 'a' },
  { name: 'b', sha256: sha256Hex(B), tenant: 'b' },
  { name: 'ops', sha256: sha256Hex(ADMIN), tenant: 'ops', admin: true },
];

/** A server on `storage`; stop() closes it (the store stays). */
async function serve(mock: MockLlm, storage: string, apiKeys: readonly ApiKeyOptions[] = KEYS) {
  const runtime = await createRuntime({ config: testConfig({ mockUrl: mock.url, storage }) });
  const gateway = await startGateway(
    runtime,
    { ...DEFAULT_SERVER_OPTIONS, port: 0, apiKeys },
    pino({ level: 'silent' }),
  );
  return { url: gateway.url, stop: () => gateway.close({ drainMs: 0 }) };
}

const texts = async (url: string, key: string, id: string): Promise<string[]> => {
  const r = await call(url, 'GET', `/v1/sessions/${id}/messages`, { key });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body.messages.filter((m: { role: string }) => m.role === 'user').map((m: { text: string }) => m.text);
};

async function sameIdAcrossRestart(t: TestContext, storage: string): Promise<void> {
  const mock = await startMockLlm({});
  t.after(() => mock.close());
  const first = await serve(mock, storage);
  t.after(() => first.stop());
  const chat = (url: string, key: string, content: string) =>
    call(url, 'POST', '/v1/chat/completions', {
      key,
      headers: { 'x-swiftlet-session': 'oa-42' },
      body: { model: 'assistant', messages: [{ role: 'user', content }] },
    });
  // Native: a session made by a, then the same ids chosen by both tenants on the OpenAI API and the WebSocket.
  const made = await call(first.url, 'POST', '/v1/sessions', { key: A, body: {} });
  const native = made.body.id as string;
  assert.equal(
    (await call(first.url, 'POST', `/v1/sessions/${native}/turns`, { key: A, body: { input: 'a native' } })).status,
    200,
  );
  assert.equal((await chat(first.url, A, 'a openai')).status, 200);
  assert.equal((await chat(first.url, B, 'b openai')).status, 200);
  for (const [key, input] of [
    [A, 'a ws'],
    [B, 'b ws'],
  ] as const) {
    const ws = await WsClient.open(first.url, { headers: { authorization: `Bearer ${key}` } });
    ws.send({ type: 'turn', id: 1, sessionId: 'ws-42', input });
    assert.equal((await ws.turnEnd(1)).event.outcome, 'final');
    ws.ws.close();
  }
  await first.stop();

  const second = await serve(mock, storage);
  t.after(() => second.stop());
  assert.deepEqual(await texts(second.url, A, native), ['a native']);
  assert.equal((await call(second.url, 'GET', `/v1/sessions/${native}`, { key: B })).status, 404);
  assert.equal((await chat(second.url, B, 'b again')).status, 200);
  assert.deepEqual(await texts(second.url, A, 'oa-42'), ['a openai']);
  assert.deepEqual(await texts(second.url, B, 'oa-42'), ['b openai', 'b again']);
  assert.deepEqual(await texts(second.url, A, 'ws-42'), ['a ws']);
  assert.deepEqual(await texts(second.url, B, 'ws-42'), ['b ws']);
  const everyone = await call(second.url, 'GET', '/v1/sessions?limit=1000', { key: ADMIN });
  const owners = everyone.body.sessions
    .filter((s: { id: string }) => s.id === 'oa-42' || s.id === 'ws-42')
    .map((s: { tenant: string; id: string }) => `${s.tenant}/${s.id}`)
    .sort();
  assert.deepEqual(owners, ['a/oa-42', 'a/ws-42', 'b/oa-42', 'b/ws-42']);
}

test('same id in two tenants across a restart: SQLite', async (t) => {
  const path = join(tempDir(t), 'swiftlet.db');
  await sameIdAcrossRestart(t, `{ driver: sqlite, path: ${JSON.stringify(path)} }`);
});

test('same id in two tenants across a restart: PostgreSQL', async (t) => {
  const storage = await postgresStorage(t, 'swiftlet_tenants');
  if (storage) await sameIdAcrossRestart(t, storage);
});

test('a store from before tenants: its sessions are tenant local, for keyless use and for an admin key', async (t) => {
  const path = join(tempDir(t), 'v1.db');
  await writeSqliteV1(path);
  const mock = await startMockLlm({});
  t.after(() => mock.close());
  const storage = `{ driver: sqlite, path: ${JSON.stringify(path)} }`;
  const keyless = await serve(mock, storage, []);
  t.after(() => keyless.stop());
  const listed = await call(keyless.url, 'GET', '/v1/sessions', {});
  assert.deepEqual(listed.body.sessions.map((s: { tenant: string; id: string }) => `${s.tenant}/${s.id}`).sort(), [
    'local/ses_fixture_one',
    'local/user-42',
  ]);
  assert.deepEqual(await texts(keyless.url, '', 'ses_fixture_one'), ['my card is 4242', 'plan the trip']);
  // The turn left open in the old store was closed at start-up, as interrupted.
  const chosen = await call(keyless.url, 'GET', '/v1/sessions/user-42', {});
  assert.equal(chosen.body.openTurn, undefined);
  await keyless.stop();

  const keyed = await serve(mock, storage);
  t.after(() => keyed.stop());
  assert.equal((await call(keyed.url, 'GET', '/v1/sessions/ses_fixture_one', { key: A })).status, 404);
  const admin = await call(keyed.url, 'GET', '/v1/sessions/ses_fixture_one/messages?tenant=local', { key: ADMIN });
  assert.equal(admin.status, 200);
  assert.equal(admin.body.messages[0].text, 'my card is 4242');
  const all = await call(keyed.url, 'GET', '/v1/sessions', { key: ADMIN });
  assert.deepEqual(
    all.body.sessions.map((s: { tenant: string }) => s.tenant),
    ['local', 'local'],
  );
});
