// The mock's request log is bounded in body size: a turn's requests repeat its history, and a server with a `mock`
// provider runs the mock in its own process.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { startMockLlm } from '../../src/model/index.js';

test('past maxLoggedBodyBytes the oldest records lose their bodies; the newest keeps its own', async (t) => {
  const mock = await startMockLlm({ maxLoggedBodyBytes: 10_000 });
  t.after(() => mock.close());
  const send = async (content: string) => {
    const body = JSON.stringify({ model: 'm', messages: [{ role: 'user', content }] });
    const res = await request(`${mock.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    await res.body.text();
    return body.length;
  };
  let sent = 0;
  for (let i = 0; i < 20; i++) sent += await send(`${i} ${'x'.repeat(3000)}`);
  assert.ok(sent > 60_000);
  assert.equal(mock.requests.length, 20, 'every request is still in the log');
  assert.ok(mock.loggedBodyBytes <= 10_000, `${mock.loggedBodyBytes} characters of bodies kept`);
  const kept = mock.requests.filter((r) => r.body !== undefined);
  assert.deepEqual(
    kept.map((r) => r.id),
    [18, 19, 20],
  );
  const last = mock.requests.at(-1)!.body as { messages: { content: string }[] };
  assert.ok(last.messages[0]!.content.startsWith('19 '));

  // One body larger than the budget is kept while it is the newest.
  await send('y'.repeat(20_000));
  assert.deepEqual(
    mock.requests.filter((r) => r.body !== undefined).map((r) => r.id),
    [21],
  );
  mock.reset();
  assert.equal(mock.loggedBodyBytes, 0);
});
