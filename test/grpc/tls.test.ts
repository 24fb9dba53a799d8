// The broker's gRPC server over TLS, and with client certificates required (a self-signed certificate made by
// openssl for the test).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { tempDir } from '../helpers/runtime.js';
import { BrokerClient, failsWith, grpc, startBroker } from './helpers.js';

/** A certificate for localhost and 127.0.0.1 with its key, or null after skipping `t` when openssl is missing. */
function selfSigned(t: TestContext): { cert: string; key: string } | null {
  const dir = tempDir(t, 'swiftlet-tls-');
  const [cert, key] = [join(dir, 'cert.pem'), join(dir, 'key.pem')];
  const r = spawnSync(
    'openssl',
    [
      ...['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost'],
      ...['-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '-keyout', key, '-out', cert],
    ],
    { encoding: 'utf8', timeout: 30_000 },
  );
  if (r.status !== 0) {
    const reason = `openssl could not make a certificate (${r.error?.message ?? r.stderr})`;
    console.log(`skipping the gRPC TLS test: ${reason}`);
    t.skip(reason);
    return null;
  }
  return { cert, key };
}

test('gRPC over TLS: a client trusting the certificate publishes; a plain-text client cannot', async (t) => {
  const files = selfSigned(t);
  if (!files) return;
  const broker = await startBroker(t, { grpc: { tls: { certFile: files.cert, keyFile: files.key } } });
  const ca = readFileSync(files.cert);
  const client = new BrokerClient(`localhost:${broker.port}`, undefined, grpc.credentials.createSsl(ca));
  t.after(() => client.raw.close());
  const task = await client.call('Publish', { target: { agent: 'a' }, text: 'over TLS' });
  assert.equal(task.state, 'TASK_STATE_SUBMITTED');
  const plain = new BrokerClient(`127.0.0.1:${broker.port}`, undefined);
  t.after(() => plain.raw.close());
  await failsWith(plain.call('Get', { task_id: task.id }), grpc.status.UNAVAILABLE);
});

test('gRPC with caFile: clients must present a certificate the CA signed', async (t) => {
  const files = selfSigned(t);
  if (!files) return;
  const tls = { certFile: files.cert, keyFile: files.key, caFile: files.cert };
  const broker = await startBroker(t, { grpc: { tls } });
  const [cert, key] = [readFileSync(files.cert), readFileSync(files.key)];
  const anonymous = new BrokerClient(`localhost:${broker.port}`, undefined, grpc.credentials.createSsl(cert));
  t.after(() => anonymous.raw.close());
  await failsWith(anonymous.call('Publish', { target: { agent: 'a' }, text: 'x' }), grpc.status.UNAVAILABLE);
  const known = new BrokerClient(`localhost:${broker.port}`, undefined, grpc.credentials.createSsl(cert, key, cert));
  t.after(() => known.raw.close());
  assert.equal((await known.call('Publish', { target: { agent: 'a' }, text: 'x' })).state, 'TASK_STATE_SUBMITTED');
});

test('an unreadable TLS file fails the start, naming the config key', async (t) => {
  await assert.rejects(
    startBroker(t, { grpc: { tls: { certFile: '/nonexistent/cert.pem', keyFile: '/nonexistent/key.pem' } } }),
    (err: Error & { code?: string; field?: string }) =>
      err.code === 'SWIFTLET_ERR_CONFIG_INVALID' && err.field === 'server.grpc.tls.certFile',
  );
});
