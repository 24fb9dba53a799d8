import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../helpers/runtime.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const TSX = import.meta.resolve('tsx');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** `npm run bench:peers -- …` without npm: the runner from source, never installing the peers' packages. */
function peers(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', TSX, join(ROOT, 'bench/peers/run.ts'), '--no-install', ...args],
      { cwd: ROOT, timeout: 120_000, maxBuffer: 16 << 20 },
      (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof err.code === 'number' ? err.code : 1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

// The frameworks need bench/peers' own install; Swiftlet and the fetch loop need nothing beyond the repository, so
// the runner, its children, the shared mock and every workload are exercised with those two.
test('bench:peers --quick runs every workload for Swiftlet and the fetch loop and writes the figures as JSON', async (t) => {
  const file = join(tempDir(t), 'peers.json');
  const r = await peers(['--quick', '--only', 'swiftlet,fetch-loop', '--json', file]);
  assert.equal(r.code, 0, r.stderr);
  for (const heading of ['size', 'start', 'turn', 'sessions', 'concurrency']) {
    assert.match(r.stdout, new RegExp(`^${heading} `, 'm'), `no ${heading} table`);
  }
  assert.doesNotMatch(r.stdout, /FAILED/);

  const json = JSON.parse(readFileSync(file, 'utf8'));
  assert.deepEqual(Object.keys(json.contenders).sort(), ['fetch-loop', 'swiftlet']);
  const w = json.workloads;
  assert.ok(w.size.swiftlet.packages > 0 && w.size.swiftlet.diskBytes > 0);
  assert.equal(w.size['fetch-loop'].diskBytes, 0);
  for (const key of ['swiftlet', 'fetch-loop']) {
    const turn = w.turn[key];
    // A turn counts only when the contender's final text is the scripted answer.
    assert.equal(turn.completed, json.params.turn.turns * json.params.turn.runs, key);
    assert.equal(turn.failed, 0, key);
    assert.ok(turn.medianMs.median > 0 && turn.p99Ms.median >= turn.medianMs.median, key);
    const start = w.start[key];
    assert.ok(start.spawnToFirstTurnMs.median > start.childImportedMs.median, key);
    assert.equal(w.sessions[key].sessions, json.params.sessions.sessions, key);
    assert.equal(typeof w.sessions[key].bytesPerSession, 'number', key);
    const c = w.concurrency[key];
    assert.equal(c.failed, 0, key);
    assert.ok(c.completed > 0 && c.turnsPerSec > 0 && c.peakRssBytes > 0, key);
  }
  assert.ok(w.start['node -e 0'].spawnToFirstTurnMs.median > 0);
});

test('bench:peers refuses an unknown contender with one readable line', async () => {
  const r = await peers(['--only', 'swiftlet,nope']);
  assert.equal(r.code, 1);
  assert.match(r.stderr.trim(), /^bench:peers: --only: unknown nope \(one of swiftlet, .*\)$/);
});
