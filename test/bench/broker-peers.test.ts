import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import {
  measureQueuePeers,
  queuePeerModules,
  renderQueuePeers,
  QUEUE_PEERS,
  type QueuePeerKey,
  type QueuePeerOptions,
  type QueuePeerQuantiles,
  type QueuePeerResult,
} from '../../bench/broker/peers.js';
import { POSTGRES_URL } from '../helpers/services.js';
import { tempDir } from '../helpers/runtime.js';

// graphile-worker and BullMQ come from bench/peers' own install (`npm ci --prefix bench/peers`), which `npm ci` at the
// root does not make: without it these tests skip, and only the part that needs no library runs.
const PEERS_DIR = fileURLToPath(new URL('../../bench/peers', import.meta.url));
const REDIS_URL = process.env.SWIFTLET_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

const SMALL: QueuePeerOptions = {
  tasks: 300,
  subscribers: 10,
  concurrency: 4,
  rate: 200,
  durationSeconds: 1,
  runs: 1,
  postgresUrl: POSTGRES_URL,
  redisUrl: REDIS_URL,
};

const missing = (peer: QueuePeerKey): string | undefined => {
  const found = queuePeerModules(PEERS_DIR, peer);
  return 'missing' in found
    ? `bench/peers/node_modules has no ${found.missing} (npm ci --prefix bench/peers)`
    : undefined;
};
const installed = QUEUE_PEERS.filter((p) => missing(p) === undefined);

// One measurement of every installed queue, shared by the tests below (each queue runs in its own child process).
let measured: Promise<QueuePeerResult[]> | undefined;
const measure = (): Promise<QueuePeerResult[]> => (measured ??= measureQueuePeers({ ...SMALL, peers: installed }));

function checkQuantiles(q: QueuePeerQuantiles, n: number, what: string): void {
  assert.equal(q.n, n, `${what}: one sample per measured job`);
  assert.ok(q.p50 > 0 && q.p50 <= q.p99 && q.p99 <= q.max, `${what}: ${JSON.stringify(q)}`);
}

for (const peer of QUEUE_PEERS) {
  test(`bench broker peers: ${peer} completes every job it was given once, with sane figures`, async (t) => {
    const why = missing(peer);
    if (why !== undefined) {
      t.skip(why);
      return;
    }
    const r = (await measure()).find((x) => x.peer === peer)!;
    if (r.skipped !== undefined) {
      // The library is installed: a skip here is its server not answering.
      if (process.env.SWIFTLET_REQUIRE_SERVICES === '1') assert.fail(`${r.skipped}; SWIFTLET_REQUIRE_SERVICES=1`);
      t.skip(r.skipped);
      return;
    }
    assert.match(r.version, new RegExp(`^${peer} \\d+\\.\\d+\\.\\d+`));
    assert.match(r.backend, peer === 'bullmq' ? /^Redis \d/ : /^PostgreSQL \d/);
    assert.ok(r.settings.length > 0);
    assert.equal(r.runs.length, 1);
    const run = r.runs[0]!;
    assert.equal(run.failed, undefined, run.failed);
    // Throughput: 300 measured after 30 warm-up; latency: 200 warm-up and 200 measured at 200/s.
    assert.equal(run.accepted, 330 + 400);
    assert.equal(run.completed, run.accepted);
    assert.equal(run.duplicates, 0);
    assert.ok(run.perSec > 0 && run.wallMs > 0, JSON.stringify(run));
    assert.ok(run.cpuUsPerTask > 0);
    checkQuantiles(run.addToStartMs, 200, 'add → start');
    checkQuantiles(run.addToDoneMs, 200, 'add → done');
    assert.ok(run.addToDoneMs.p50 >= run.addToStartMs.p50);
    assert.ok(run.achievedRate > 100 && run.achievedRate < 300, String(run.achievedRate));
    assert.equal(r.perSec?.median, run.perSec);
    assert.equal(r.startP50?.median, run.addToStartMs.p50);

    const lines = renderQueuePeers([r]);
    assert.match(lines[0]!, /^queue\s+run\s+tasks\/s/);
    assert.match(lines[1]!, new RegExp(`^${peer}\\s+1\\s+\\d+`));
    assert.ok(lines.some((l) => l.includes(`settings: ${r.settings}`)));
  });
}

test('bench broker peers: a queue whose server does not answer is skipped with the reason', async (t) => {
  if (installed.length === 0) {
    t.skip('bench/peers/node_modules has neither graphile-worker nor bullmq (npm ci --prefix bench/peers)');
    return;
  }
  // Port 1: nothing listens there.
  const results = await measureQueuePeers({
    ...SMALL,
    peers: installed,
    postgresUrl: 'postgres://postgres@127.0.0.1:1/test',
    redisUrl: 'redis://127.0.0.1:1',
  });
  for (const r of results) {
    assert.match(r.skipped ?? '', /unreachable/, `${r.peer}: ${JSON.stringify(r)}`);
    assert.deepEqual(r.runs, []);
  }
  assert.ok(renderQueuePeers(results).some((l) => /skipped: .*unreachable/.test(l)));
});

test('bench broker peers: without the libraries installed, every queue is skipped and nothing is started', async (t) => {
  const results = await measureQueuePeers({ ...SMALL, peersDir: tempDir(t) });
  assert.deepEqual(
    results.map((r) => r.peer),
    [...QUEUE_PEERS],
  );
  for (const r of results) {
    assert.match(r.skipped ?? '', /has no .*npm ci --prefix bench\/peers/);
    assert.equal(r.version, 'not installed');
    assert.deepEqual(r.runs, []);
    assert.equal(r.perSec, null);
  }
  const lines = renderQueuePeers(results);
  assert.equal(lines.filter((l) => l.includes('skipped:')).length, QUEUE_PEERS.length);
});
