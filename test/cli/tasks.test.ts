// `swiftlet tasks` beside a running `swiftlet serve`, both on one SQLite file: the CLI records tasks and the server's
// agents run them (its sweep picks them up); the CLI follows, shows and lists them. Bounded waits, no timing
// assertions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCli } from '../helpers/cli.js';
import { call } from '../gateway/native-support.js';
import { ok, setup } from './tasks-support.js';

test('tasks --help, and each subcommand its own', async () => {
  const [all, send, list, watch] = await Promise.all([
    runCli(['tasks', '--help']),
    runCli(['tasks', 'send', '--help']),
    runCli(['tasks', 'list', '--help']),
    runCli(['tasks', 'watch', '--help']),
  ]);
  for (const r of [all, send, list, watch]) assert.equal(r.code, 0, r.stderr);
  assert.match(all.stdout, /^Usage: swiftlet tasks send .*\| list/);
  assert.match(all.stdout, /tasks send --help/);
  assert.match(send.stdout, /^Usage: swiftlet tasks send \(--agent name \| --skill name \| --broadcast/);
  for (const flag of ['--wait', '--data', '--deadline', '--idempotency-key', '--tenant', '--config', '--json']) {
    assert.ok(send.stdout.includes(flag), flag);
  }
  assert.ok(!send.stdout.includes('--state'), 'send --help lists its own options only');
  assert.match(list.stdout, /^Usage: swiftlet tasks list/);
  assert.ok(list.stdout.includes('--state') && !list.stdout.includes('--wait'));
  assert.match(watch.stdout, /Exit code 0 when the task completed/);
  const main = await runCli(['--help']);
  assert.match(main.stdout, /\btasks\b/);
});

test('send --wait is answered by the server’s agent; send, watch, get and list beside it', async (t) => {
  const { url, cli } = await setup(t);
  const [waited, sent, bad, acme] = await Promise.all([
    cli('send', '--wait', '--agent', 'assistant', 'hello', 'there'),
    cli('send', '--skill', 'search', '--data', '{"q":"tides"}', '--priority=-2', '--json'),
    cli('send', 'no target'),
    cli('send', '--wait', '--agent', 'researcher', '--tenant', 'acme', 'for acme'),
  ]);
  ok(waited, 'send --wait');
  assert.match(waited.stdout, /^Mock reply to: "hello there/);
  const id = /^task: (task_\S+)$/m.exec(waited.stderr)?.[1];
  assert.ok(id, waited.stderr);
  assert.equal(bad.code, 2);
  assert.equal(bad.stderr.trim().split('\n').length, 1, 'one readable line');
  assert.match(bad.stderr, /--agent <name>, --skill <name> or --broadcast/);

  ok(sent, 'send --json');
  const task = JSON.parse(sent.stdout) as { id: string; state: string; priority: number; requester: unknown };
  assert.equal(task.state, 'submitted');
  assert.equal(task.priority, -2);
  assert.deepEqual(task.requester, { kind: 'cli', id: 'cli' });
  const watched = ok(await cli('watch', task.id), 'watch');
  const lines = watched.stdout.trim().split('\n');
  assert.match(lines[0]!, /^\s*1 .* submitted$/);
  assert.match(watched.stdout, / working \(attempt 1, researcher\)/);
  assert.match(watched.stdout, /^\s*\d+ .* completed\nresult: Mock reply to: "```json/m);

  // get --json is the API's view of the task.
  const [got, listed, human, tenantOnly] = await Promise.all([
    cli('get', task.id, '--json'),
    cli('list', '--json'),
    cli('list'),
    cli('list', '--tenant', 'acme'),
  ]);
  const api = await call(url, 'GET', `/v1/tasks/${task.id}`);
  assert.deepEqual(JSON.parse(ok(got, 'get').stdout), api.body);
  assert.equal(api.body.state, 'completed');
  assert.deepEqual(api.body.input, { data: { q: 'tides' } });
  ok(acme, 'send --tenant acme');
  const acmeId = /^task: (task_\S+)$/m.exec(acme.stderr)?.[1];
  const ids = (JSON.parse(ok(listed, 'list').stdout) as { tasks: { id: string }[] }).tasks.map((x) => x.id);
  assert.deepEqual(new Set(ids), new Set([task.id, id, acmeId]), 'every tenant');
  assert.match(ok(human, 'list').stdout, new RegExp(`^local\\s+${task.id}\\s+completed\\s+skill:search`, 'm'));
  assert.match(ok(tenantOnly, 'list --tenant').stdout, new RegExp(`^acme\\s+${acmeId}\\s+completed`));
  assert.equal(tenantOnly.stdout.trim().split('\n').length, 1);

  const shown = ok(await cli('get', id), 'get');
  assert.match(shown.stdout, /^input: hello there$/m);
  assert.match(shown.stdout, /^result: Mock reply to: "hello there/m);
  const missing = await cli('get', 'task_nope');
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /no task task_nope in tenant local \[SWIFTLET_ERR_TASK_NOT_FOUND\]/);
});
