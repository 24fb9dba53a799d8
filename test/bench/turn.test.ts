import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { tempDir } from '../helpers/runtime.js';

const ROOT = resolve(import.meta.dirname, '../..');

function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    child.once('error', fail);
    child.once('close', (code) => done({ code, stdout, stderr }));
  });
}

const spreadShape = (s: unknown): void => {
  const v = s as { median: number; min: number; max: number };
  assert.ok(v.min > 0 && v.min <= v.median && v.median <= v.max, `bad spread ${JSON.stringify(s)}`);
};

describe('swiftlet bench turn', () => {
  test('runs the scenario, completes every offered turn and writes the documented JSON', async (t) => {
    const file = join(tempDir(t), 'turn.json');
    const args = ['bench', 'turn', '--turns', '20', '--runs', '2', '--warmup', '5', '--mem-sessions', '20'];
    const r = await cli([...args, '--json', file]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /swiftlet ÷ floor/);
    assert.equal(r.stderr, '', 'no progress line when stderr is not a terminal');

    const json = JSON.parse(readFileSync(file, 'utf8'));
    assert.equal(json.scenario, 'turn');
    assert.equal(json.params.turns, 20);
    assert.equal(json.params.store, 'sqlite');
    assert.equal(json.params.durability, 'durable');
    assert.ok(json.machine.nproc >= 1 && json.machine.node === process.version);
    assert.deepEqual(Object.keys(json.contenders).sort(), ['fetchLoop', 'floor', 'swiftlet']);
    for (const c of Object.values(json.contenders) as Record<string, unknown>[]) {
      assert.equal(c.offered, 40);
      assert.equal(c.completed, 40);
      const runs = c.runs as {
        n: number;
        medianMs: number;
        p95Ms: number;
        p99Ms: number;
        turnsPerSec: number;
        cpuMsPerTurn: number;
      }[];
      assert.equal(runs.length, 2);
      for (const run of runs) {
        assert.equal(run.n, 20);
        assert.ok(run.medianMs > 0 && run.medianMs <= run.p95Ms && run.p95Ms <= run.p99Ms);
        assert.ok(run.turnsPerSec > 0 && run.cpuMsPerTurn > 0);
      }
      for (const k of ['medianMs', 'p95Ms', 'p99Ms', 'turnsPerSec', 'cpuMsPerTurn']) spreadShape(c[k]);
    }
    spreadShape(json.ratios.swiftletToFloor);
    spreadShape(json.ratios.fetchLoopToFloor);
    assert.equal(json.ratios.bar, 1.25);
    assert.equal(json.ratios.meetsBar, json.ratios.swiftletToFloor.median <= 1.25);
    assert.equal(json.memory.sessions, 20);
    for (const k of [
      'hotBytesPerSession',
      'hotAccountedBytesPerSession',
      'fetchLoopBytesPerSession',
      'storedBytesPerSession',
    ]) {
      assert.equal(typeof json.memory[k], 'number', k);
    }
    // A hot session holds at least its entries' text; the cache's own estimate is positive.
    assert.ok(json.memory.hotAccountedBytesPerSession > 0);
  });

  test('--json alone prints the JSON on stdout; a memory store works too', async () => {
    const r = await cli([
      'bench',
      'turn',
      '-n',
      '10',
      '-r',
      '1',
      '--warmup',
      '0',
      '--mem-sessions',
      '0',
      '--store',
      'memory',
      '--json',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const json = JSON.parse(r.stdout);
    assert.equal(json.params.store, 'memory');
    assert.equal(json.memory, null);
    assert.equal(json.contenders.swiftlet.completed, 10);
  });

  test('an unknown or future scenario is one line on stderr and exit code 2', async () => {
    for (const [name, text] of [
      ['nope', /scenario "nope" is unknown; available: turn, http, concurrency, sessions, startup, writes, broker/],
      ['worker', /scenario "worker" is not available yet/],
    ] as const) {
      const r = await cli(['bench', name]);
      assert.equal(r.code, 2);
      assert.match(r.stderr, text);
      assert.equal(r.stderr.trim().split('\n').length, 1);
    }
  });

  test('--help names every figure and the scenarios still to come', async () => {
    const r = await cli(['bench', '--help']);
    assert.equal(r.code, 0);
    for (const word of [
      'median',
      'p95',
      'p99',
      'turns/s',
      '÷ floor',
      'cpu ms/turn',
      'heap per hot session',
      'per stored session',
      'not yet',
    ]) {
      assert.ok(r.stdout.includes(word), word);
    }
  });
});
