import { test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { startTestGateway } from '../helpers/gateway.js';

const SECOND_AGENT = `
  writer:
    model: mock/mock-model
    instructions: You write.`;

function client(url: string, apiKey = 'k'): OpenAI {
  return new OpenAI({ baseURL: url + '/v1', apiKey, maxRetries: 0 });
}

test('models: every agent is a model owned by swiftlet', async (t) => {
  const { url } = await startTestGateway(t, { config: { agentExtra: SECOND_AGENT } });
  const c = client(url);
  const page = await c.models.list();
  const ids = page.data.map((m) => m.id).sort();
  assert.deepEqual(ids, ['assistant', 'writer']);
  for (const m of page.data) {
    assert.equal(m.object, 'model');
    assert.equal(m.owned_by, 'swiftlet');
    assert.ok(Number.isInteger(m.created) && m.created > 1_600_000_000);
  }
  const one = await c.models.retrieve('writer');
  assert.deepEqual(
    one,
    page.data.find((m) => m.id === 'writer'),
  );
  // The model names the agent that answers.
  const res = await c.chat.completions.create({ model: 'writer', messages: [{ role: 'user', content: 'hi' }] });
  assert.equal(res.model, 'writer');
});

test('models: a key limited to some agents sees only those', async (t) => {
  const { url } = await startTestGateway(t, {
    config: { agentExtra: SECOND_AGENT },
    keys: { limited: { key: 'sk-limited', agents: ['writer'] }, all: 'sk-all' },
  });
  const limited = await client(url, 'sk-limited').models.list();
  assert.deepEqual(
    limited.data.map((m) => m.id),
    ['writer'],
  );
  await assert.rejects(
    client(url, 'sk-limited').models.retrieve('assistant'),
    (e: unknown) => e instanceof OpenAI.PermissionDeniedError,
  );
  const all = await client(url, 'sk-all').models.list();
  assert.equal(all.data.length, 2);
});
