// `swiftlet serve` and `swiftlet tasks` on one store with `bus.driver: nats`: the CLI's task reaches the server's
// agent through NATS at once. The store's sweep runs once a minute here, so only the NATS offer can deliver it within
// the wait.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { newId } from '../../src/core/index.js';
import { requireNats } from '../helpers/services.js';
import { ok, setup } from './tasks-support.js';

test('with bus.driver nats, a task sent from the CLI is run by the server at once', async (t) => {
  const url = await requireNats(t);
  if (!url) return;
  const stream = `SWIFTLET_CLI_${newId('ses').slice(4).toUpperCase()}`;
  t.after(async () => {
    const nc = await connect({ servers: url });
    await (await jetstreamManager(nc)).streams.delete(stream).catch(() => undefined);
    await nc.close();
  });
  const { cli } = await setup(t, `{ driver: nats, url: ${JSON.stringify(url)}, stream: ${stream}, sweepMs: 60000 }`);
  const started = Date.now();
  const waited = ok(await cli('send', '--wait', '--agent', 'researcher', 'over', 'nats'), 'send --wait');
  assert.match(waited.stdout, /^Mock reply to: "over nats/);
  const id = /^task: (task_\S+)$/m.exec(waited.stderr)?.[1];
  assert.ok(id, waited.stderr);
  const shown = ok(await cli('get', id, '--json'), 'get');
  assert.equal((JSON.parse(shown.stdout) as { state: string }).state, 'completed');
  assert.ok(Date.now() - started < 60_000, 'not by the sweep');
});
