// The shipped CLI is an esbuild bundle, and bundling changes how CommonJS dependencies load. Tests elsewhere run
// the TypeScript sources; this one builds the real bundle and drives `serve` through every surface once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import WebSocket from 'ws';
import { startMockLlm } from '../../src/model/index.js';
import { tempDir } from '../helpers/runtime.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

test('the bundled CLI serves the native API, /metrics, WebSocket and the OpenAI API', async (t) => {
  const outdir = join(ROOT, `.test-dist-${process.pid}`);
  t.after(() => rmSync(outdir, { recursive: true, force: true }));
  execFileSync(process.execPath, ['scripts/build.mjs', '--outdir', outdir, '--no-types'], { cwd: ROOT });

  const mock = await startMockLlm({
    script: [{ toolCalls: [{ name: 'current_time', arguments: {} }] }, { text: 'Noon.' }],
  });
  t.after(() => mock.close());
  const dir = tempDir(t);
  const config = join(dir, 'swiftlet.yaml');
  writeFileSync(
    config,
    `providers: { mock: { type: openai, baseUrl: ${mock.url}/v1, apiKey: k } }
agents: { assistant: { model: mock/m, tools: [current_time] } }
storage: { driver: sqlite, path: ${join(dir, 'db.sqlite')} }
server: { port: 0 }
logging: { level: warn }
`,
  );
  const version = execFileSync(process.execPath, [join(outdir, 'cli.js'), '--version'], { encoding: 'utf8' });
  assert.match(version, /^swiftlet \d+\.\d+\.\d+/);

  const child = spawn(process.execPath, [join(outdir, 'cli.js'), 'serve', '--config', config], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  t.after(() => child.kill('SIGKILL'));
  let out = '';
  let err = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start: ${err}`)), 20_000);
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
  });

  const json = async (method: 'GET' | 'POST', path: string, body?: unknown) => {
    const res = await request(url + path, {
      method,
      ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
    });
    return { status: res.statusCode, body: (await res.body.json()) as Record<string, unknown> };
  };
  assert.equal((await json('GET', '/readyz')).status, 200);
  const session = await json('POST', '/v1/sessions', { agent: 'assistant' });
  assert.equal(session.status, 201);
  const turn = await json('POST', `/v1/sessions/${String(session.body.id)}/turns`, { input: 'time?' });
  assert.equal(turn.status, 200);
  assert.equal(turn.body.outcome, 'final');
  assert.equal(turn.body.text, 'Noon.');

  const chat = await json('POST', '/v1/chat/completions', {
    model: 'assistant',
    messages: [{ role: 'user', content: 'hi' }],
  });
  assert.equal(chat.status, 200, JSON.stringify(chat.body));

  const metrics = await request(url + '/metrics');
  assert.equal(metrics.statusCode, 200);
  assert.match(await metrics.body.text(), /swiftlet_turns_total\{agent="assistant",tenant="local",outcome="final"\} 2/);

  const ws = new WebSocket(url.replace('http', 'ws') + '/v1/ws');
  const outcome = await new Promise<string>((resolve, reject) => {
    ws.on('error', reject);
    ws.on('open', () => ws.send(JSON.stringify({ type: 'turn', id: 1, input: 'time over ws?' })));
    ws.on('message', (data: Buffer) => {
      const msg = JSON.parse(data.toString()) as { type: string; event?: { type: string; outcome?: string } };
      if (msg.type === 'error') reject(new Error(data.toString()));
      if (msg.type === 'event' && msg.event?.type === 'turn-end') resolve(msg.event.outcome!);
    });
  });
  assert.equal(outcome, 'final');
  ws.close();

  child.kill('SIGTERM');
  assert.equal(await exited, 0, err);
});
