// `swiftlet tasks` beside a running `swiftlet serve` on one SQLite file: a cancel from the CLI stops the server's
// agent, a passed deadline fails a task, a broadcast from the CLI reaches every agent the server runs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { call, waitUntil } from '../gateway/native-support.js';
import { ok, setup } from './tasks-support.js';

test('cancel from the CLI stops the server’s agent; watch exits 1; a broadcast reaches every agent', async (t) => {
  const { url, mock, cli } = await setup(t);
  mock.configure({ firstTokenMs: 600_000 });
  const sent = ok(await cli('send', '--agent', 'assistant', 'slow one'), 'send');
  const id = sent.stdout.trim();
  assert.match(id, /^task_/);
  // The server took it (the CLI runs nothing): its API shows it working.
  await mock.waitFor((r) => r.format === 'openai-chat', 15_000);
  await waitUntil(async () => (await call(url, 'GET', `/v1/tasks/${id}`)).body.state === 'working', 'working');
  const [working, listed] = await Promise.all([cli('get', id, '--json'), cli('list', '--state', 'working')]);
  assert.equal(JSON.parse(ok(working, 'get').stdout).state, 'working');
  assert.match(ok(listed, 'list').stdout, new RegExp(`^local\\s+${id}\\s+working`, 'm'));

  const canceled = ok(await cli('cancel', id, '--reason', 'no longer needed'), 'cancel');
  assert.equal(canceled.stdout, `task ${id} canceled\n`);
  // The server's sweep sees the cancel and interrupts its agent's turn.
  await mock.waitFor((r) => r.clientClosed, 15_000);
  assert.equal((await call(url, 'GET', `/v1/tasks/${id}`)).body.state, 'canceled');
  // A deadline that passes fails the task; send --wait says so and exits 1. (Side by side: nothing here waits on
  // another.)
  const [watched, again, late, soon, wrong] = await Promise.all([
    cli('watch', id),
    cli('cancel', id),
    cli('send', '--agent', 'assistant', '--deadline', '2s', '--wait', 'too slow'),
    cli('send', '--agent', 'assistant', '--deadline', 'soon', 'x'),
    cli('get', id, '--priority', '1'),
  ]);
  assert.equal(watched.code, 1, watched.stderr);
  assert.match(watched.stdout, /canceled: no longer needed$/m);
  assert.match(watched.stderr, new RegExp(`task ${id} canceled`));
  assert.equal(ok(again, 'cancel again').stdout, `task ${id} had already ended: canceled\n`);
  assert.equal(late.code, 1, late.stderr);
  assert.match(late.stderr, /task task_\S+ failed: deadline_exceeded \[SWIFTLET_ERR_DEADLINE_EXCEEDED\]/);
  assert.equal(soon.code, 2);
  assert.match(soon.stderr, /--deadline: expected 30s, 5m/);
  assert.equal(wrong.code, 2);
  assert.match(wrong.stderr, /tasks get: --priority does not apply/);

  mock.configure({ firstTokenMs: 0 });
  const [everyone, filtered] = await Promise.all([
    cli('send', '--broadcast', '--wait', 'status?'),
    cli('send', '--broadcast', '--filter-skill', 'search', '--wait', '--json', 'you?'),
  ]);
  const all = ok(everyone, 'broadcast');
  assert.deepEqual(
    all.stdout
      .trim()
      .split('\n')
      .map((l) => l.replace(/ \(task_\S+\)$/, '')),
    ['assistant: completed', 'researcher: completed'],
  );
  const parent = JSON.parse(ok(filtered, 'broadcast --filter-skill').stdout) as {
    state: string;
    result: { children: { agent: string }[] };
  };
  assert.equal(parent.state, 'completed');
  assert.deepEqual(
    parent.result.children.map((c) => c.agent),
    ['researcher'],
  );
});
