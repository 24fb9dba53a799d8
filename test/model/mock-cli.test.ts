// `swiftlet mock-llm` as a separate process: the listening line, a script file, clean exit on SIGTERM, bad flags.
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { runCli } from '../helpers/cli.js';

/** Resolves with the first stdout line of a spawned child. */
function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf('\n');
      if (nl !== -1) resolve(out.slice(0, nl));
    });
    child.on('exit', (code) => reject(new Error(`exited with ${code} before printing a line`)));
  });
}

describe('swiftlet mock-llm', () => {
  const dir = mkdtempSync(join(tmpdir(), 'swiftlet-mock-cli-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('prints where it listens, serves the script, exits 0 on SIGTERM', async () => {
    const script = join(dir, 'script.json');
    writeFileSync(script, JSON.stringify([{ text: 'scripted answer' }]));
    let child: ChildProcess | undefined;
    const done = runCli(['mock-llm', '--port', '0', '--tokens', '5', '--script', script], {
      onSpawn: (c) => (child = c),
    });
    assert.ok(child);
    const line = await firstLine(child);
    const match = /^mock LLM listening on (http:\/\/127\.0\.0\.1:\d+)$/.exec(line);
    assert.ok(match, line);
    const res = await fetch(`${match[1]}/v1/chat/completions`, {
      method: 'POST',
      body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }),
    });
    const body = (await res.json()) as { choices: { message: { content: string } }[] };
    assert.equal(body.choices[0]?.message.content, 'scripted answer');
    child.kill('SIGTERM');
    const result = await done;
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout.trim().split('\n').length, 1);
  });

  test('--json prints the address as JSON; SIGINT also stops it', async () => {
    let child: ChildProcess | undefined;
    const done = runCli(['mock-llm', '--port', '0', '--json', '--first-token-ms', '1', '--token-delay-ms', '0'], {
      onSpawn: (c) => (child = c),
    });
    assert.ok(child);
    const info = JSON.parse(await firstLine(child)) as { url: string; port: number };
    assert.equal(info.url, `http://127.0.0.1:${info.port}`);
    const models = await fetch(`${info.url}/v1/models`);
    assert.equal(models.status, 200);
    await models.arrayBuffer();
    child.kill('SIGINT');
    assert.equal((await done).code, 0);
  });

  test('bad flag values: one readable line, exit 2', async () => {
    const notJson = join(dir, 'bad.json');
    writeFileSync(notJson, '[{"text": 1}]');
    const cases: [string[], RegExp][] = [
      [['--tokens', 'many'], /--tokens/],
      [['--port', '70000'], /--port/],
      [['--first-token-ms=-5'], /--first-token-ms: expected a non-negative integer/],
      [['--script', join(dir, 'missing.json')], /--script.*no such file/],
      [['--script', notJson], /script\[0\]\.text/],
      [['--nope'], /nope/],
    ];
    for (const [args, pattern] of cases) {
      const r = await runCli(['mock-llm', '--port', '0', ...args]);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.match(r.stderr, pattern);
      assert.equal(r.stdout, '');
    }
  });
});
