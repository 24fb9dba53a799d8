import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { SwiftletError } from '../../src/core/index.js';
import { bindIds, createLogger } from '../../src/obs/index.js';

/** A stream keeping every line written to it. */
function memoryStream(): { stream: Writable; lines: () => Record<string, unknown>[]; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _enc, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  const text = () => chunks.join('');
  const lines = () =>
    text()
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { stream, lines, text };
}

test('the logger writes one JSON line per record with the base fields, and honours its level', () => {
  const mem = memoryStream();
  const log = createLogger({ level: 'info', destination: mem.stream });
  log.debug('not written');
  log.info({ turns: 3 }, 'started');
  log.warn('careful');
  const lines = mem.lines();
  assert.equal(lines.length, 2);
  assert.equal(lines[0]!.level, 'info');
  assert.equal(lines[0]!.msg, 'started');
  assert.equal(lines[0]!.turns, 3);
  assert.equal(lines[0]!.service, 'swiftlet');
  assert.equal(lines[0]!.pid, process.pid);
  assert.equal(typeof lines[0]!.time, 'number');
  assert.equal(lines[1]!.level, 'warn');
});

test('secrets are redacted wherever the configured paths point', () => {
  const mem = memoryStream();
  const log = createLogger({ level: 'info', destination: mem.stream });
  const secrets = ['Bearer sk-one', 'sk-two', 'sk-three', 'Bearer sk-four', 'sk-five', 'sk-six', 'sk-seven'];
  log.info(
    {
      req: { method: 'POST', url: '/v1/sessions', headers: { authorization: secrets[0], 'x-api-key': secrets[5] } },
      provider: { name: 'openai', apiKey: secrets[1] },
      caller: { key: secrets[2] },
      headers: { authorization: secrets[3], accept: 'text/event-stream' },
      apiKey: secrets[4],
      upstream: { headers: { authorization: secrets[6] } },
    },
    'request',
  );
  const text = mem.text();
  for (const s of secrets) assert.ok(!text.includes(s), `${s} leaked: ${text}`);
  const [line] = mem.lines();
  const rec = line as {
    req: { method: string; headers: { authorization: string } };
    provider: { name: string; apiKey: string };
    headers: { accept: string };
  };
  assert.equal(rec.req.headers.authorization, '[Redacted]');
  assert.equal(rec.provider.apiKey, '[Redacted]');
  // What is not a secret stays readable.
  assert.equal(rec.req.method, 'POST');
  assert.equal(rec.provider.name, 'openai');
  assert.equal(rec.headers.accept, 'text/event-stream');
});

test('bindIds makes a child logger whose records carry the request and turn ids', () => {
  const mem = memoryStream();
  const log = createLogger({ level: 'debug', destination: mem.stream });
  const req = bindIds(log, { requestId: 'req-1' });
  const turn = bindIds(req, { sessionId: 's-1', turnId: 't-1', agent: 'support' });
  turn.debug('turn started');
  req.info('request done');
  const [a, b] = mem.lines();
  assert.deepEqual(
    { requestId: a!.requestId, sessionId: a!.sessionId, turnId: a!.turnId, agent: a!.agent, service: a!.service },
    { requestId: 'req-1', sessionId: 's-1', turnId: 't-1', agent: 'support', service: 'swiftlet' },
  );
  assert.equal(b!.requestId, 'req-1');
  assert.equal('turnId' in b!, false);
});

test('an unknown level is a config error naming logging.level', () => {
  assert.throws(
    () => createLogger({ level: 'loud' }),
    (e: unknown) =>
      SwiftletError.isInstance(e) && e.code === 'SWIFTLET_ERR_CONFIG_INVALID' && e.field === 'logging.level',
  );
});
