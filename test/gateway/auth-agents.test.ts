// A key with an agent allow list: other agents' turns and sessions are 403, at admission and on every route to them.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { SwiftletError } from '../../src/core/index.js';
import { startTestGateway } from '../helpers/gateway.js';

const LIMITED = 'limited-key-0123456789';
const FULL = 'full-key-0123456789abc';
const OTHER_AGENT = '  other:\n    model: mock/mock-model\n';

async function call(url: string, method: 'GET' | 'POST' | 'DELETE', path: string, key: string, body?: unknown) {
  const res = await request(url + path, {
    method,
    headers: {
      authorization: `Bearer ${key}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.body.text();
  return { status: res.statusCode, json: JSON.parse(text) as Record<string, unknown> & { error?: { code: string } } };
}

describe('agent allow lists', () => {
  test('admitTurn and checkAgent refuse an agent the key may not use, and nothing else', async (t) => {
    const { gateway } = await startTestGateway(t, {
      config: { agentExtra: OTHER_AGENT },
      keys: { limited: { key: LIMITED, agents: ['assistant'] }, full: FULL },
    });
    const ctx = gateway.context;
    const limited = { key: ctx.options.apiKeys.find((k) => k.name === 'limited')!, tenant: 'limited', admin: false };
    const full = { key: ctx.options.apiKeys.find((k) => k.name === 'full')!, tenant: 'full', admin: false };
    const forbidden = (err: unknown) => SwiftletError.isInstance(err) && err.code === 'SWIFTLET_ERR_FORBIDDEN';
    assert.throws(() => ctx.admitTurn(limited, 'other'), forbidden);
    assert.throws(() => ctx.checkAgent(limited, 'other'), forbidden);
    ctx.checkAgent(limited, 'assistant');
    ctx.checkAgent(full, 'other');
    ctx.admitTurn(limited, 'assistant')();
    ctx.admitTurn(full, 'other')();
  });

  test("within a tenant: naming another agent is 403; another agent's session answers as an unknown one", async (t) => {
    const { url, mock } = await startTestGateway(t, {
      config: { agentExtra: OTHER_AGENT },
      keys: {
        limited: { key: LIMITED, tenant: 'team', agents: ['assistant'] },
        full: { key: FULL, tenant: 'team' },
      },
    });
    const created = await call(url, 'POST', '/v1/sessions', FULL, { agent: 'other' });
    assert.equal(created.status, 201);
    const id = String(created.json.id);
    const done = await call(url, 'POST', `/v1/sessions/${id}/turns`, FULL, { input: 'first' });
    assert.equal(done.status, 200);
    const before = mock.requestCount;

    const forbidden = [
      await call(url, 'POST', '/v1/sessions', LIMITED, { agent: 'other' }),
      await call(url, 'POST', '/v1/chat/completions', LIMITED, {
        model: 'other',
        messages: [{ role: 'user', content: 'hello' }],
      }),
    ];
    for (const r of forbidden) {
      assert.equal(r.status, 403, JSON.stringify(r.json));
      assert.equal(r.json.error?.code, 'SWIFTLET_ERR_FORBIDDEN');
    }
    // Every route naming the session answers exactly as for an id that does not exist.
    for (const [method, path, body] of [
      ['POST', `/v1/sessions/{id}/turns`, { input: 'hello' }],
      ['GET', `/v1/sessions/{id}`, undefined],
      ['GET', `/v1/sessions/{id}/messages`, undefined],
      ['POST', `/v1/sessions/{id}/interrupt`, {}],
    ] as const) {
      const theirs = await call(url, method, path.replace('{id}', id), LIMITED, body);
      const unknown = await call(url, method, path.replace('{id}', id.replace('ses_', 'ses_x')), LIMITED, body);
      assert.equal(theirs.status, 404, `${method} ${path}`);
      assert.deepEqual(theirs.json, {
        ...unknown.json,
        error: { ...unknown.json.error!, message: `no session ${id}` },
      });
    }
    // A client-chosen id that another agent's session holds: 404, not a 409 naming that agent.
    const viaHeader = await request(url + '/v1/chat/completions', {
      method: 'POST',
      headers: {
        authorization: `Bearer ${LIMITED}`,
        'content-type': 'application/json',
        'x-swiftlet-session': id,
      },
      body: JSON.stringify({ model: 'assistant', messages: [{ role: 'user', content: 'hi' }] }),
    });
    const viaHeaderText = await viaHeader.body.text();
    assert.equal(viaHeader.statusCode, 404, viaHeaderText);
    assert.doesNotMatch(viaHeaderText, /other/);
    assert.equal(mock.requestCount, before, 'no refused turn reached the model');

    const mine = await call(url, 'POST', '/v1/sessions', LIMITED, {});
    assert.equal(mine.status, 201);
    assert.equal(mine.json.agent, 'assistant');
    const turn = await call(url, 'POST', `/v1/sessions/${String(mine.json.id)}/turns`, LIMITED, { input: 'hello' });
    assert.equal(turn.status, 200, JSON.stringify(turn.json));
    const theirs = await call(url, 'POST', `/v1/sessions/${id}/turns`, FULL, { input: 'hello' });
    assert.equal(theirs.status, 200, JSON.stringify(theirs.json));
  });
});
