// A provider's error text (which may echo the key it was sent) reaches neither API clients nor the session log: they
// get `<provider>: provider error (HTTP <status>)`. The server log has the text, redacted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import pino from 'pino';
import { request } from 'undici';
import { createRuntime } from '../../src/runtime/index.js';
import { DEFAULT_SERVER_OPTIONS, startGateway } from '../../src/gateway/index.js';
import { logFailures } from '../../src/obs/index.js';
import { testConfig } from '../helpers/runtime.js';
import { call } from './native-support.js';

const SECRET = 'sk-MODELSECRET-123456789';
const BODY = JSON.stringify({
  error: { message: `Incorrect API key provided: ${SECRET}. Bearer abc.def`, type: 'invalid_request_error' },
});

/** A provider that refuses every request with 401, its body naming the key. */
async function refusingProvider(t: { after: (fn: () => Promise<void>) => void }): Promise<string> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(401, { 'content-type': 'application/json' }).end(BODY));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function text(url: string, path: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await request(url + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { status: res.statusCode, text: await res.body.text() };
}

test('a provider 401 reaches clients and the session log as a status, the server log redacted', async (t) => {
  const providerUrl = await refusingProvider(t);
  const lines: string[] = [];
  const log = pino(
    { level: 'info' },
    new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    }),
  );
  const stopLog = logFailures(log);
  t.after(stopLog);
  const runtime = await createRuntime({ config: testConfig({ mockUrl: providerUrl }) });
  const gateway = await startGateway(runtime, { ...DEFAULT_SERVER_OPTIONS, port: 0 }, log);
  t.after(() => gateway.close({ drainMs: 0 }));
  const url = gateway.url;
  const expected = 'mock: provider error (HTTP 401)';

  const id = (await call(url, 'POST', '/v1/sessions', { body: {} })).body.id as string;
  const answers: { what: string; status: number; text: string }[] = [];
  answers.push({ what: 'native JSON', ...(await text(url, `/v1/sessions/${id}/turns`, { input: 'hi' })) });
  answers.push({
    what: 'native SSE',
    ...(await text(url, `/v1/sessions/${id}/turns`, { input: 'hi' }, { accept: 'text/event-stream' })),
  });
  const chat = { model: 'assistant', messages: [{ role: 'user', content: 'hi' }] };
  answers.push({ what: 'chat completions', ...(await text(url, '/v1/chat/completions', chat)) });
  answers.push({
    what: 'chat completions stream',
    ...(await text(url, '/v1/chat/completions', { ...chat, stream: true })),
  });
  answers.push({ what: 'responses', ...(await text(url, '/v1/responses', { model: 'assistant', input: 'hi' })) });
  const messages = await request(`${url}/v1/sessions/${id}/messages`);
  answers.push({ what: 'session messages', status: messages.statusCode, text: await messages.body.text() });

  for (const a of answers) {
    assert.ok(!a.text.includes('MODELSECRET'), `${a.what} leaked the provider text: ${a.text}`);
    assert.ok(!a.text.includes('Incorrect API key'), `${a.what} carried the provider text: ${a.text}`);
    if (a.what !== 'session messages') assert.ok(a.text.includes(expected), `${a.what}: ${a.status} ${a.text}`);
  }
  const native = JSON.parse(answers[0]!.text) as { outcome: string; error: { code: string; message: string } };
  assert.deepEqual([native.outcome, native.error], ['failed', { code: 'SWIFTLET_ERR_MODEL_HTTP', message: expected }]);
  assert.equal(answers[2]!.status, 502);

  const stored = JSON.stringify(await runtime.entries(id));
  assert.ok(!stored.includes('MODELSECRET') && !stored.includes('Incorrect API key'), stored);
  assert.ok(stored.includes(expected));

  const warned = lines
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((l) => l.msg === 'model request failed');
  assert.ok(warned.length >= 5, `one warning per failed model request, got ${warned.length}`);
  assert.ok(!lines.join('').includes('MODELSECRET'), 'the secret reached the server log');
  const first = warned[0]!;
  assert.equal(first.level, 40);
  assert.equal(first.status, 401);
  assert.equal(first.provider, 'mock');
  assert.equal(first.code, 'SWIFTLET_ERR_MODEL_HTTP');
  assert.match(String(first.providerText), /Incorrect API key provided: \[Redacted\]\. Bearer \[Redacted\]/);
});
