import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startMockLlm, type MockLlm } from '../../src/model/index.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/runtime.js';

function writeConfig(dir: string, mockUrl: string, extra = ''): string {
  const path = join(dir, 'swiftlet.yaml');
  writeFileSync(
    path,
    `providers:
  mock: { type: openai, baseUrl: ${mockUrl}/v1, apiKey: k, timeouts: { connectMs: 2000, firstTokenMs: 3000, idleMs: 3000, totalMs: 10000 }, retries: { max: 0, baseDelayMs: 10, maxDelayMs: 10 } }
agents:
  assistant:
    model: mock/m
    tools: [todo, current_time]
    maxSteps: 3
${extra}
storage: { driver: sqlite, path: ${join(dir, 'db.sqlite')} }
`,
  );
  return path;
}

describe('cli', () => {
  let mock: MockLlm;
  before(async () => {
    mock = await startMockLlm({ outputTokens: 5 });
  });
  after(async () => {
    await mock.close();
  });

  test('--version, --help on every command, unknown command', async () => {
    const v = await runCli(['--version']);
    assert.equal(v.code, 0);
    assert.match(v.stdout, /^swiftlet \d+\.\d+\.\d+/);
    const help = await runCli(['--help']);
    assert.equal(help.code, 0);
    for (const cmd of ['run', 'chat', 'sessions', 'config', 'mock-llm']) {
      assert.match(help.stdout, new RegExp(`\\b${cmd}\\b`));
      const h = await runCli([cmd, '--help']);
      assert.equal(h.code, 0, `${cmd} --help`);
      assert.match(h.stdout, new RegExp(`Usage: swiftlet ${cmd}`));
      assert.match(h.stdout, /--config/);
      const ver = await runCli([cmd, '--version']);
      assert.match(ver.stdout, /^swiftlet \d/);
    }
    const bad = await runCli(['frobnicate']);
    assert.equal(bad.code, 2);
    assert.equal(
      bad.stderr,
      'swiftlet: unknown command "frobnicate" (see swiftlet --help) [SWIFTLET_ERR_UNKNOWN_COMMAND]\n',
    );
    const badJson = await runCli(['frobnicate', '--json']);
    assert.equal(badJson.code, 2);
    assert.equal(
      (JSON.parse(badJson.stderr) as { error: { code: string } }).error.code,
      'SWIFTLET_ERR_UNKNOWN_COMMAND',
    );
    const badFlag = await runCli(['run', '--no-such-flag', 'x']);
    assert.equal(badFlag.code, 2);
    assert.equal(badFlag.stderr.trim().split('\n').length, 1);
  });

  test('run streams the reply, prints the session, exits 0; a session continues; sessions list/show/delete', async (t) => {
    mock.reset();
    mock.configure({
      script: [
        { toolCalls: [{ name: 'todo', arguments: { action: 'add', text: 'buy milk' } }] },
        { text: 'Added it.' },
      ],
    });
    const dir = tempDir(t);
    const config = writeConfig(dir, mock.url);
    const r = await runCli(['run', '--config', config, '-s', 'cli-1', 'plan my day']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'Added it.');
    assert.match(r.stderr, /todo/);
    assert.match(r.stderr, /session: cli-1/);
    assert.match(r.stderr, /^no session cli-1: started a new one$/m, 'an unknown -s id is said out loud');

    mock.configure({ script: [] });
    const again = await runCli(['run', '--config', config, '-s', 'cli-1', 'and then?']);
    assert.equal(again.code, 0, again.stderr);
    assert.doesNotMatch(again.stderr, /no session/, 'an existing session is continued quietly');
    assert.match(JSON.stringify(mock.requests.at(-1)!.body), /plan my day/);

    const list = await runCli(['sessions', 'list', '--config', config, '--json']);
    assert.equal(list.code, 0, list.stderr);
    const page = JSON.parse(list.stdout) as {
      sessions: { id: string; title?: string; createdAt: unknown; updatedAt: unknown }[];
    };
    // The title is the first message, not the latest.
    assert.deepEqual(
      page.sessions.map((s) => [s.id, s.title]),
      [['cli-1', 'plan my day']],
    );
    // Times as ISO 8601 strings, as the HTTP API writes them.
    const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
    assert.match(String(page.sessions[0]!.createdAt), ISO);
    assert.match(String(page.sessions[0]!.updatedAt), ISO);
    const showJson = await runCli(['sessions', 'show', 'cli-1', '--config', config, '--json']);
    assert.equal(showJson.code, 0, showJson.stderr);
    const shown = JSON.parse(showJson.stdout) as {
      session: { updatedAt: unknown; title?: string };
      entries: { at: unknown }[];
    };
    assert.match(String(shown.session.updatedAt), ISO);
    assert.equal(shown.session.title, 'plan my day');
    assert.ok(shown.entries.length > 0);
    for (const e of shown.entries) assert.match(String(e.at), ISO);
    const listed = await runCli(['sessions', 'list', '--config', config]);
    assert.match(listed.stdout, /^local\s+cli-1\s+assistant\s+.* entries {2}plan my day$/m);

    const show = await runCli(['sessions', 'show', 'cli-1', '--config', config]);
    assert.equal(show.code, 0, show.stderr);
    assert.match(show.stdout.split('\n')[0]!, /cli-1 .* {2}plan my day$/);
    assert.match(show.stdout, /you: plan my day/);
    assert.match(show.stdout, /\[ \] 1\. buy milk/);

    const missing = await runCli(['sessions', 'show', 'nope', '--config', config]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /SWIFTLET_ERR_SESSION_NOT_FOUND/);

    const prune = await runCli(['sessions', 'prune', '--max-messages', '3', '--config', config, '--json']);
    assert.equal(prune.code, 0, prune.stderr);
    assert.ok((JSON.parse(prune.stdout) as { entriesDropped: number }).entriesDropped > 0);

    const del = await runCli(['sessions', 'delete', 'cli-1', '--config', config]);
    assert.equal(del.code, 0, del.stderr);
    const del2 = await runCli(['sessions', 'delete', 'cli-1', '--config', config]);
    assert.equal(del2.code, 2);
  });

  test('tenants: run --tenant; sessions list shows every tenant; show, delete and move take --tenant', async (t) => {
    mock.reset();
    mock.configure({ script: [] });
    const dir = tempDir(t);
    const config = writeConfig(dir, mock.url);
    for (const tenant of [undefined, 'acme']) {
      const r = await runCli(['run', '--config', config, '-s', 'same-id', ...(tenant ? ['-t', tenant] : []), 'hi']);
      assert.equal(r.code, 0, r.stderr);
    }
    const list = await runCli(['sessions', 'list', '--config', config]);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /^acme\s+same-id\s/m);
    assert.match(list.stdout, /^local\s+same-id\s/m);
    const one = await runCli(['sessions', 'list', '--tenant', 'acme', '--config', config, '--json']);
    assert.deepEqual(
      (JSON.parse(one.stdout) as { sessions: { tenant: string }[] }).sessions.map((x) => x.tenant),
      ['acme'],
    );
    assert.equal((await runCli(['sessions', 'show', 'same-id', '--tenant', 'acme', '--config', config])).code, 0);
    const nowhere = await runCli(['sessions', 'show', 'same-id', '--tenant', 'nobody', '--config', config]);
    assert.equal(nowhere.code, 2);
    assert.match(nowhere.stderr, /no session same-id in tenant nobody/);

    // Moving onto a taken id is refused; to a free tenant it goes, log and all.
    const taken = await runCli(['sessions', 'move', 'same-id', '--to', 'acme', '--config', config]);
    assert.equal(taken.code, 1, taken.stdout);
    assert.match(taken.stderr, /tenant acme already has a session/);
    const moved = await runCli(['sessions', 'move', 'same-id', '--to', 'globex', '--config', config]);
    assert.equal(moved.code, 0, moved.stderr);
    assert.match(moved.stdout, /moved same-id from tenant local to tenant globex/);
    const show = await runCli(['sessions', 'show', 'same-id', '--tenant', 'globex', '--config', config]);
    assert.match(show.stdout, /you: hi/);
    assert.equal((await runCli(['sessions', 'show', 'same-id', '--config', config])).code, 2);
    const bad = await runCli(['sessions', 'move', 'same-id', '--config', config]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--to <tenant>/);
    assert.equal((await runCli(['run', '--config', config, '-t', 'no/slash', 'hi'])).code, 2);

    const del = await runCli(['sessions', 'delete', 'same-id', '--tenant', 'acme', '--config', config]);
    assert.equal(del.code, 0, del.stderr);
    const left = await runCli(['sessions', 'list', '--config', config, '--json']);
    assert.deepEqual(
      (JSON.parse(left.stdout) as { sessions: { tenant: string }[] }).sessions.map((x) => x.tenant),
      ['globex'],
    );
  });

  test('run exit codes: failed 1, max steps 3, bad config 2, no prompt 2, --json events', async (t) => {
    const dir = tempDir(t);
    const config = writeConfig(dir, mock.url);
    mock.reset();
    mock.configure({ script: [] });
    mock.injectFault({ kind: 'status', status: 500 });
    const failed = await runCli(['run', '--config', config, 'hi']);
    assert.equal(failed.code, 1);
    assert.match(failed.stderr, /failed/);

    mock.configure({
      script: Array.from({ length: 5 }, () => ({ toolCalls: [{ name: 'current_time', arguments: {} }] })),
    });
    const steps = await runCli(['run', '--config', config, 'loop forever']);
    assert.equal(steps.code, 3);

    mock.configure({ script: [] });
    const json = await runCli(['run', '--config', config, '--json', 'hi']);
    assert.equal(json.code, 0);
    const events = json.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string });
    assert.equal(events[0]!.type, 'turn-start');
    assert.equal(events.at(-1)!.type, 'turn-end');

    const badPath = join(dir, 'bad.yaml');
    writeFileSync(badPath, 'agents:\n  a:\n    model: 5\n    bogus: true\n');
    const bad = await runCli(['run', '--config', badPath, 'hi']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /agents\.a\.model/);
    assert.match(bad.stderr, /agents\.a\.bogus|bogus/);

    const none = await runCli(['run', '--config', config], { input: '' });
    assert.equal(none.code, 2);
  });

  test('Ctrl-C during run interrupts the turn cleanly: exit 130, partial reply kept', async (t) => {
    const dir = tempDir(t);
    const config = writeConfig(dir, mock.url);
    mock.reset();
    mock.configure({ script: [], tokenDelayMs: 20, outputTokens: 400 });
    let out = '';
    const r = await runCli(['run', '--config', config, '-s', 'int', 'long story'], {
      onSpawn: (child) => {
        child.stdout!.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.split(' ').length > 4 && !child.killed) child.kill('SIGINT');
        });
      },
    });
    mock.configure({ tokenDelayMs: 0, outputTokens: 5 });
    assert.equal(r.code, 130, r.stderr);
    assert.match(r.stderr, /interrupted/);
    const show = await runCli(['sessions', 'show', 'int', '--config', config]);
    assert.match(show.stdout, /\[interrupted\]/);
  });

  test('chat: turns on one session, /todo, /new, /exit from piped input', async (t) => {
    const dir = tempDir(t);
    const config = writeConfig(dir, mock.url);
    mock.reset();
    mock.configure({
      script: [{ toolCalls: [{ name: 'todo', arguments: { action: 'add', text: 'ship it' } }] }, { text: 'Noted.' }],
    });
    const r = await runCli(['chat', '--config', config, '-s', 'chat-1'], {
      input: 'remember this\n/todo\n/new\n/exit\n',
    });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Noted\./);
    assert.match(r.stdout, /\[ \] 1\. ship it/);
    assert.match(r.stderr, /new session ses_/);
    // The hint resumes with the same config, and it is the session in use at exit (after /new).
    const hint = /resume with: swiftlet chat -s (ses_\S+) --config (\S+)\n/.exec(r.stderr);
    assert.ok(hint, r.stderr);
    assert.equal(hint[2], config);
    assert.match(r.stderr, new RegExp(`new session ${hint[1]}\n`));
  });

  test('chat: Ctrl-C interrupts the running turn and the chat goes on', async (t) => {
    const dir = tempDir(t);
    const config = writeConfig(dir, mock.url);
    mock.reset();
    mock.configure({ script: [], tokenDelayMs: 20, outputTokens: 400 });
    let out = '';
    const r = await runCli(['chat', '--config', config, '-s', 'chat-int'], {
      input: 'tell me a long story\n/session\n',
      onSpawn: (child) => {
        child.stdout!.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.split(' ').length > 4 && !child.killed) child.kill('SIGINT');
        });
      },
    });
    mock.configure({ tokenDelayMs: 0, outputTokens: 5 });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /\[interrupted\]/);
    assert.match(r.stderr, /session chat-int\n/, 'the next line was still read after the interrupt');
  });

  test('with no config and no API key, the default agent runs on the built-in mock and warns loudly', async (t) => {
    const dir = tempDir(t);
    const r = await runCli(['run', 'hello there'], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /WARNING: .*mock/i);
    assert.match(r.stdout, /hello there/);
    // Server API keys are not model provider keys: the warning still comes, and says which key it means.
    const withKeys = await runCli(['run', 'hi'], { cwd: dir, env: { SWIFTLET_API_KEYS: 'k'.repeat(32) } });
    assert.equal(withKeys.code, 0, withKeys.stderr);
    assert.match(
      withKeys.stderr,
      /^WARNING: no model provider is configured: agents answer with the built-in mock LLM/m,
    );
    assert.doesNotMatch(withKeys.stderr, /NO API KEY/);
    // Commands that call no model say nothing about models.
    for (const args of [
      ['sessions', 'list'],
      ['sessions', 'show', withKeys.stderr.match(/session: (\S+)/)![1]!],
    ]) {
      const s = await runCli(args, { cwd: dir });
      assert.equal(s.code, 0, s.stderr);
      assert.equal(s.stderr, '', args.join(' '));
    }
    const del = await runCli(['sessions', 'delete', 'no-such'], { cwd: dir });
    assert.equal(del.code, 2);
    assert.doesNotMatch(del.stderr, /WARNING/);
  });
});
