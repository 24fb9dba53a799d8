import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { runCli } from '../helpers/cli.js';
import { requireNats, requirePostgres } from '../helpers/services.js';

interface Quantiles {
  n: number;
  p50: number;
  p99: number;
  max: number;
}

interface Verified {
  expected: number;
  inStore: number;
  completedOnce: number;
  lost: number;
  duplicated: number;
  unexpected: number;
}

interface Measurement {
  kind: string;
  counts: { accepted: number; delivered: number; redelivered: number; completed: number; errors: number };
  counted: { lost: number; duplicated: number; errors: number };
  verified: Verified;
  diagnostics: { transactions: number; txMs: Quantiles; loopDelayMs: Quantiles };
  [key: string]: unknown;
}

const SMALL = ['--tasks', '200', '--duration', '1', '--rate', '100', '--subscribers', '3', '--runs', '1'];

function checkQuantiles(q: Quantiles, n: number, what: string): void {
  assert.equal(q.n, n, `${what}: one sample per measured task`);
  assert.ok(q.p50 > 0 && q.p50 <= q.p99 && q.p99 <= q.max, `${what}: ${JSON.stringify(q)}`);
}

/** Nothing lost or twice, in process and in the store: `tasks` rows, each completed once. */
function checkClean(m: Measurement, tasks: number): void {
  assert.deepEqual(m.counted, { lost: 0, duplicated: 0, errors: 0 }, `${m.kind}: ${JSON.stringify(m.counts)}`);
  assert.equal(m.counts.redelivered, 0);
  assert.equal(m.verified.lost, 0, `${m.kind}: ${JSON.stringify(m.verified)}`);
  assert.equal(m.verified.duplicated, 0);
  assert.equal(m.verified.unexpected, 0);
  assert.equal(m.verified.inStore, tasks, `${m.kind}: tasks in the store`);
  assert.equal(m.verified.completedOnce, tasks);
  assert.ok(m.diagnostics.transactions > 0);
}

describe('swiftlet bench broker', () => {
  test('throughput, latency, broadcast, a slow consumer and the floor on SQLite, every task completed once', async () => {
    const r = await runCli(['bench', 'broker', ...SMALL, '--store', 'sqlite', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const json = JSON.parse(r.stdout);
    assert.equal(json.scenario, 'broker');
    assert.equal(json.params.process, 'child');
    assert.equal(json.params.postgresUrl, null);
    assert.equal(json.runs.length, 1);
    const run = json.runs[0];
    assert.deepEqual(run.order, ['floor', 'sqlite']);
    assert.equal(run.postgres, undefined);

    // Throughput: 200 measured after a warm-up of 20; everything the warm-up published is in the store too.
    const warm = json.params.warmupTasks;
    assert.equal(warm, 20);
    const t = run.sqlite.throughput as Measurement & {
      perSec: number;
      writesPerTx: number;
      tasks: number;
      cpuUsPerTask: number;
    };
    checkClean(t, 220);
    assert.equal(t.counts.accepted, 220);
    assert.equal(t.counts.completed, 220);
    assert.ok(t.perSec > 0 && t.writesPerTx > 0);

    const floor = run.floor;
    assert.equal(floor.failed, undefined);
    assert.equal(floor.guardMisses, 0);
    assert.equal(floor.verified.completedOnce, 220);
    assert.equal(floor.verified.lost, 0);
    assert.ok(floor.perSec > 0);
    assert.equal(run.toFloor, t.perSec / floor.perSec);
    assert.equal(run.cpuToFloor, floor.cpuUsPerTask / t.cpuUsPerTask);

    // Latency: 100/s for 1 s after 1 s of warm-up.
    const l = run.sqlite.latency as Measurement & { claimMs: Quantiles; completeMs: Quantiles; publishMs: Quantiles };
    checkClean(l, 200);
    checkQuantiles(l.claimMs, 100, 'publish→claim');
    checkQuantiles(l.completeMs, 100, 'publish→completion');
    assert.ok(l.claimMs.p50 <= l.completeMs.p50);

    // Broadcasts to 10: 22 parents (2 of them warm-up) with 10 children each.
    const b = run.sqlite.broadcast as Measurement & { parentsCompleted: number; k: number };
    assert.equal(b.k, 10);
    checkClean(b, 22 * 11);
    assert.equal(b.parentsCompleted, 22);
    assert.equal(b.counts.completed, 220);
    const bl = run.sqlite.broadcastLatency as Measurement & { parentCompleteMs: Quantiles; claimMs: Quantiles };
    checkClean(bl, 20 * 11);
    checkQuantiles(bl.parentCompleteMs, 10, 'publish→parent completed');
    checkQuantiles(bl.claimMs, 100, 'publish→child claimed');

    // The slow consumer: whatever was refused is not in the store; whatever was accepted completed once.
    const s = run.sqlite.slow as Measurement & {
      offered: number;
      accepted: number;
      refused: number;
      slow: { offered: number; accepted: number; refused: number };
      fast: { refused: number };
    };
    checkClean(s, s.accepted);
    assert.equal(s.offered, 100);
    assert.equal(s.accepted + s.refused, s.offered);
    assert.equal(s.slow.accepted + s.slow.refused, s.slow.offered);

    assert.deepEqual(json.correctness, { measurements: 6, lost: 0, duplicated: 0, errors: 0, ok: true });
    assert.deepEqual(
      json.bars.map((x: { bar: string }) => x.bar),
      ['≥ 0.5', '≤ 1 ms', '≤ 5 ms', '≤ 10 ms', '≥ 10000', '≤ 10 ms', '≥ 0.7', '= 0'],
    );
    assert.equal(json.bars[3].met, null, 'PostgreSQL was not asked for');
    assert.equal(json.bars[4].met, null, 'gRPC was not asked for');
    assert.equal(json.bars[6].met, null, 'NATS was not asked for');
    assert.equal(json.bars[7].met, true);
  });

  test('PostgreSQL in fresh schemas dropped afterwards, or skipped with a note; the table names the bars', async (t) => {
    const url = await requirePostgres(t);
    if (url === null) return;
    let pid = 0;
    const r = await runCli(['bench', 'broker', ...SMALL, '--store', 'postgres', '--postgres-url', url], {
      onSpawn: (c) => (pid = c.pid!),
    });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /publish → claim p99 at 100 tasks\/s offered \(PostgreSQL\)\s+≤ 10 ms/);
    // Measured, or skipped because this build's PostgreSQL store keeps no task records.
    assert.match(r.stdout, /postgres +\d+|PostgreSQL skipped: /);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const left = await client.query('SELECT schema_name FROM information_schema.schemata WHERE schema_name LIKE $1', [
        'swiftlet_bench_%',
      ]);
      assert.ok(
        left.rows.every((row: { schema_name: string }) => !row.schema_name.startsWith(`swiftlet_bench_${pid}_`)),
      );
    } finally {
      await client.end();
    }
  });

  test('through NATS JetStream and raw JetStream beside it, every task completed once, streams deleted', async (t) => {
    const url = await requireNats(t);
    if (url === null) return;
    const r = await runCli(['bench', 'broker', ...SMALL, '--store', 'nats', '--nats-url', url, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const json = JSON.parse(r.stdout);
    const [run] = json.runs;
    assert.deepEqual([...run.order].sort(), ['jetstream', 'nats']);
    assert.equal(json.natsSkipped, null);
    for (const kind of ['throughput', 'latency']) {
      const m = run.nats[kind] as Measurement;
      checkClean(m, m.counts.accepted);
    }
    assert.equal(run.nats.broadcast, undefined, 'the store-bound measurements are not repeated on NATS');
    assert.equal(run.jetstream.acked, 200);
    assert.equal(run.jetstream.duplicates, 0);
    assert.ok(run.natsToRaw > 0);
    assert.equal(json.bars[6].bar, '≥ 0.7');
    assert.notEqual(json.bars[6].met, null);
    assert.deepEqual(json.correctness, { measurements: 2, lost: 0, duplicated: 0, errors: 0, ok: true });
    const { connect } = await import('@nats-io/transport-node');
    const { jetstreamManager } = await import('@nats-io/jetstream');
    const nc = await connect({ servers: url });
    try {
      const names = await (await jetstreamManager(nc)).streams.names().next();
      assert.deepEqual(
        names.filter((n) => n.startsWith('SWIFTLET_BENCH_')),
        [],
        'its streams are deleted',
      );
    } finally {
      await nc.close();
    }
  });

  test('consumers over gRPC in a process of their own, every task completed once', async () => {
    const r = await runCli(['bench', 'broker', ...SMALL, '--store', 'grpc', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const json = JSON.parse(r.stdout);
    const [run] = json.runs;
    assert.deepEqual(run.order, ['grpc']);
    for (const kind of ['throughput', 'latency']) {
      const m = run.grpc[kind] as Measurement;
      checkClean(m, m.counts.accepted);
      assert.equal(m.counts.delivered, m.counts.accepted, `${kind}: each task claimed once`);
    }
    checkQuantiles(run.grpc.latency.completeMs, run.grpc.latency.tasks, 'publish → completion over gRPC');
    assert.deepEqual(
      json.bars.slice(4, 6).map((b: { bar: string; met: boolean | null }) => [b.bar, b.met === null]),
      [
        ['≥ 10000', false],
        ['≤ 10 ms', false],
      ],
    );
    assert.deepEqual(json.correctness, { measurements: 2, lost: 0, duplicated: 0, errors: 0, ok: true });
  });

  test('options of other scenarios are refused, and broker options elsewhere', async () => {
    const a = await runCli(['bench', 'broker', '--users', '5']);
    assert.equal(a.code, 2);
    assert.match(a.stderr, /--users does not apply to the broker scenario/);
    const b = await runCli(['bench', 'writes', '--subscribers', '5']);
    assert.equal(b.code, 2);
    assert.match(b.stderr, /--subscribers does not apply to the writes scenario/);
  });
});
