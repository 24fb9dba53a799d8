import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import { isAlive } from '../../src/store/instances.js';

test('isAlive: a recent beat on another host; on this host only a running pid; never a stale beat', () => {
  const now = Date.now();
  // A pid that has just exited (a child that ran and was reaped).
  const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
  const row = (host: string, pid: number, ago: number) => ({ id: 'inst_x', host, pid, beatAt: now - ago });
  assert.equal(isAlive(row(hostname(), process.pid, 1000), now, 30_000), true);
  assert.equal(isAlive(row(hostname(), dead, 1000), now, 30_000), false);
  assert.equal(isAlive(row('another-host', dead, 1000), now, 30_000), true, 'its pid means nothing here');
  assert.equal(isAlive(row('another-host', dead, 31_000), now, 30_000), false);
  assert.equal(isAlive(row(hostname(), process.pid, 31_000), now, 30_000), false);
});
