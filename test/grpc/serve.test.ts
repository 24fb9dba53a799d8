// `swiftlet serve` with server.grpc: the broker's gRPC server starts beside the HTTP gateway, and a task published over
// gRPC is run by a configured agent.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startMockLlm } from '../../src/model/index.js';
import { startServe } from '../gateway/native-support.js';
import { tempDir, writeMockConfig } from '../helpers/runtime.js';
import { BrokerClient } from './helpers.js';

test('serve starts the gRPC broker when configured; its tasks reach the configured agents', async (t) => {
  const mock = await startMockLlm({ outputTokens: 3 });
  t.after(() => mock.close());
  const dir = tempDir(t);
  writeMockConfig(dir, mock.url, {
    storage: '{ driver: memory }',
    server: '{ port: 0, grpc: { port: 0 } }',
  });
  const serve = startServe(['--config', 'swiftlet.yaml'], dir);
  serve.url.catch(() => undefined); // its pattern expects the line without gRPC; this test reads the line itself
  const child = await serve.child;
  let out = '';
  child.stdout!.on('data', (d: Buffer | string) => (out += String(d)));
  t.after(() => child.kill('SIGKILL'));
  const address = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no gRPC address in: ${out}`)), 30_000);
    const look = (): void => {
      const m = /task broker gRPC on (\S+)\)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      } else setTimeout(look, 20);
    };
    look();
  });
  const client = new BrokerClient(address, undefined);
  t.after(() => client.raw.close());
  const task = await client.call('Publish', { target: { agent: 'assistant' }, text: 'hello over gRPC' });
  const events = await client.watch(task.id);
  const last = events.at(-1)!;
  assert.equal(last.state?.state, 'TASK_STATE_COMPLETED');
  const done = await client.call('Get', { task_id: task.id });
  assert.match(done.result.message, /^Mock reply to: "hello over gRPC"/);
  child.kill('SIGTERM');
  const exit = await serve.exit;
  assert.equal(exit.code, 0, exit.stderr);
});
