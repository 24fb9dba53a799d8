// The `broker` scenario's table: one block per measurement, a row per run and store, then correctness and the bars.
import { fmt, table, withRange } from '../table.js';
import type { Bar, BrokerBenchResult, BrokerRun, StoreRun } from './scenario.js';
import { renderQueuePeers } from './peers.js';
import type { Quantiles } from './types.js';

type StoreKey = 'sqlite' | 'grpc' | 'postgres' | 'nats';
const STORES: readonly StoreKey[] = ['sqlite', 'grpc', 'postgres', 'nats'];

const ms = (q: Quantiles | undefined, k: 'p50' | 'p99' | 'max'): string => fmt(q?.[k], 2);

function storeRows(r: BrokerBenchResult, row: (run: BrokerRun, key: StoreKey, s: StoreRun) => string[] | undefined) {
  const rows: string[][] = [];
  for (const run of r.runs) {
    for (const key of STORES) {
      const s = run[key];
      if (!s) continue;
      if (s.failed !== undefined) rows.push([String(run.run), key, `failed: ${s.failed}`]);
      else {
        const cells = row(run, key, s);
        if (cells) rows.push([String(run.run), key, ...cells]);
      }
    }
  }
  return rows;
}

export function renderBroker(r: BrokerBenchResult): string {
  const p = r.params;
  const lines = [
    `broker: the local task bus; ${p.subscribers} subscribers × ${p.concurrency} tasks held each; ${p.runs} run(s); ` +
      'the bus, its publisher and its subscribers in a child process per store and run (the harness, which reads ' +
      'the stores back, in this one)',
    `stores: ${[
      ...(p.store === 'postgres' ? [] : ['SQLite durable (WAL, synchronous NORMAL, a fresh file per measurement)']),
      ...(p.postgresUrl === null
        ? []
        : [
            r.postgresSkipped === null
              ? `PostgreSQL ${p.postgresUrl} (a fresh schema per measurement, dropped after)`
              : `PostgreSQL skipped: ${r.postgresSkipped}`,
          ]),
    ].join('; ')}`,
    `machine: ${r.machine.nproc} CPU(s) ${r.machine.cpu}, node ${r.machine.node}, load average ` +
      `${r.machine.loadavgStart.join(' ')} at the start, ${r.machine.loadavgEnd.join(' ')} at the end`,
    '',
  ];

  lines.push(
    `throughput, direct: ${p.tasks} tasks after ${p.warmupTasks} warm-up, at most ${p.maxOutstanding} ` +
      'published and not completed; consumers complete at once',
  );
  const tput: string[][] = [
    ['run', 'store', 'tasks/s', 'writes/tx', 'tx ms p50', 'p99', 'cpu µs/task', '÷ floor', 'cpu ÷ floor', 'completed'],
  ];
  for (const run of r.runs) {
    for (const step of run.order) {
      if (step === 'floor') {
        const f = run.floor;
        if (!f) continue;
        if (f.failed) tput.push([String(run.run), 'floor', `failed: ${f.failed}`]);
        else {
          tput.push([
            String(run.run),
            'floor',
            fmt(f.perSec, 0),
            fmt((3 * f.tasks) / f.transactions, 0),
            '-',
            '-',
            fmt(f.cpuUsPerTask, 1),
            '1',
            '1',
            `${f.verified.completedOnce}/${f.verified.inStore}`,
          ]);
        }
        continue;
      }
      if (step === 'jetstream') {
        const j = run.jetstream;
        if (!j) continue;
        if (j.failed) tput.push([String(run.run), 'raw JetStream', `failed: ${j.failed}`]);
        else {
          tput.push([
            String(run.run),
            'raw JetStream',
            fmt(j.perSec, 0),
            '-',
            '-',
            '-',
            fmt(j.cpuUsPerTask, 1),
            '-',
            '-',
            `${j.acked}/${j.tasks}`,
          ]);
        }
        continue;
      }
      const s = run[step];
      if (!s) continue;
      if (s.failed !== undefined) {
        tput.push([String(run.run), step, `failed: ${s.failed}`]);
        continue;
      }
      const t = s.throughput;
      if (!t) continue;
      tput.push([
        String(run.run),
        step,
        fmt(t.perSec, 0),
        fmt(t.writesPerTx, 1),
        ms(t.diagnostics.txMs, 'p50'),
        ms(t.diagnostics.txMs, 'p99'),
        fmt(t.cpuUsPerTask, 1),
        step === 'sqlite' && run.toFloor !== null
          ? fmt(run.toFloor, 2)
          : step === 'nats' && run.natsToRaw !== null
            ? `${fmt(run.natsToRaw, 2)} of raw`
            : '-',
        step === 'sqlite' && run.cpuToFloor !== null ? fmt(run.cpuToFloor, 2) : '-',
        `${t.counts.completed}/${t.counts.accepted}`,
      ]);
    }
  }
  lines.push(...table(tput));
  if (r.summary.sqlite) {
    lines.push(
      `median (min–max): SQLite bus ${withRange(r.summary.sqlite.perSec, 0)} tasks/s, floor ` +
        `${withRange(r.summary.floorPerSec, 0)} tasks/s, bus ÷ floor ${withRange(r.summary.toFloor, 2)}; in CPU ` +
        `time per task, floor ÷ bus ${withRange(r.summary.cpuToFloor, 2)}`,
    );
  }
  if (r.summary.grpc)
    lines.push(`median (min–max): consumers over gRPC ${withRange(r.summary.grpc.perSec, 0)} tasks/s`);
  if (r.summary.postgres)
    lines.push(`median (min–max): PostgreSQL bus ${withRange(r.summary.postgres.perSec, 0)} tasks/s`);
  if (r.summary.nats) {
    lines.push(
      `median (min–max): bus on NATS ${withRange(r.summary.nats.perSec, 0)} tasks/s, raw JetStream ` +
        `${withRange(r.summary.jetstreamPerSec, 0)} messages/s, bus ÷ raw ${withRange(r.summary.natsToRaw, 2)}`,
    );
  }
  lines.push(
    `floor: the same rows, events and guarded updates as bare prepared statements, ${p.floorBatch} tasks per ` +
      'transaction in each stage (create, claim, complete), pipelined; no routing',
  );
  if (p.natsUrl !== null) {
    lines.push(
      r.natsSkipped === null
        ? `nats: the bus with its records on durable SQLite and its offers and changes through NATS JetStream at ` +
            `${p.natsUrl}; raw JetStream: the same window of messages published (PubAck awaited), fetched and ` +
            'acknowledged on a work-queue stream, a durable consumer per target, no store'
        : `NATS skipped: ${r.natsSkipped}`,
    );
  }
  lines.push('');

  lines.push(`latency at ${p.rate} tasks/s offered (${p.durationSeconds} s after ${p.warmupSeconds} s warm-up), ms`);
  lines.push(
    ...table([
      [
        'run',
        'store',
        'achieved/s',
        'publish p50',
        'p99',
        'publish→claim p50',
        'p99',
        'max',
        'publish→completion p50',
        'p99',
        'max',
        'tx p99',
        'max',
        'loop delay p99',
        'max',
      ],
      ...storeRows(r, (_run, _k, s) => {
        const l = s.latency;
        if (!l) return undefined;
        return [
          fmt(l.achievedRate, 0),
          ms(l.publishMs, 'p50'),
          ms(l.publishMs, 'p99'),
          ms(l.claimMs, 'p50'),
          ms(l.claimMs, 'p99'),
          ms(l.claimMs, 'max'),
          ms(l.completeMs, 'p50'),
          ms(l.completeMs, 'p99'),
          ms(l.completeMs, 'max'),
          ms(l.diagnostics.txMs, 'p99'),
          ms(l.diagnostics.txMs, 'max'),
          ms(l.diagnostics.loopDelayMs, 'p99'),
          ms(l.diagnostics.loopDelayMs, 'max'),
        ];
      }),
    ]),
    'timestamps taken by the publisher and the handlers: the publish() call, the handler invoked, complete() resolved;',
    "tx: one bus transaction (TaskStore.write) as the bus's process timed it; loop delay: the event loop's, sampled " +
      'every 1 ms (perf_hooks; about 1 ms of it is the sampling timer)',
    '',
  );

  lines.push(
    `broadcast to ${p.broadcastK} subscribers (one child task each): throughput as above, and at ` +
      `${fmt(p.rate / p.broadcastK, 1)} broadcasts/s (${p.rate} child tasks/s), ms from the parent's publish() call`,
  );
  lines.push(
    ...table([
      [
        'run',
        'store',
        'children/s',
        'parents/s',
        'children done',
        'parents done',
        'claim p50',
        'p99',
        'child done p50',
        'p99',
        'parent done p50',
        'p99',
      ],
      ...storeRows(r, (_run, _k, s) => {
        const b = s.broadcast;
        const l = s.broadcastLatency;
        if (!b && !l) return undefined;
        return [
          fmt(b?.childPerSec, 0),
          fmt(b?.parentPerSec, 0),
          b ? `${b.counts.completed}/${b.counts.accepted * b.k}` : '-',
          b ? `${b.parentsCompleted}/${b.counts.accepted}` : '-',
          ms(l?.claimMs, 'p50'),
          ms(l?.claimMs, 'p99'),
          ms(l?.childCompleteMs, 'p50'),
          ms(l?.childCompleteMs, 'p99'),
          ms(l?.parentCompleteMs, 'p50'),
          ms(l?.parentCompleteMs, 'p99'),
        ];
      }),
    ]),
    '',
  );

  const retryAfter = r.runs
    .flatMap((run) => STORES.map((k) => run[k]?.slow?.retryAfterMs))
    .find((v) => v !== undefined && v !== null);
  lines.push(
    `one slow consumer: "slow" takes ${p.slowMs} ms per task, ${p.slowConcurrency} at a time, beside ` +
      `${Math.max(0, p.subscribers - 1)} fast ones; queue limit ${p.slowQueueLimit} per target; ${p.rate} tasks/s ` +
      `offered for ${p.durationSeconds} s, round robin over the ${p.subscribers} targets`,
  );
  lines.push(
    ...table([
      [
        'run',
        'store',
        'offered',
        'accepted',
        'refused',
        'slow: offered',
        'accepted',
        'refused',
        'max waiting',
        'wait p50 ms',
        'p99',
        'fast: refused',
        'claim p50 ms',
        'p99',
        'drain ms',
      ],
      ...storeRows(r, (_run, _k, s) => {
        const w = s.slow;
        if (!w) return undefined;
        return [
          String(w.offered),
          String(w.accepted),
          String(w.refused),
          String(w.slow.offered),
          String(w.slow.accepted),
          String(w.slow.refused),
          String(w.slow.maxWaiting),
          ms(w.slow.claimMs, 'p50'),
          ms(w.slow.claimMs, 'p99'),
          String(w.fast.refused),
          ms(w.fast.claimMs, 'p50'),
          ms(w.fast.claimMs, 'p99'),
          fmt(w.drainMs, 0),
        ];
      }),
    ]),
    'refused: publishes answered SWIFTLET_ERR_QUEUE_FULL (retryable' +
      (retryAfter === undefined ? '' : `, retryAfterMs ${retryAfter}`) +
      '); max waiting: accepted and not yet claimed; every accepted task completed (below)',
    '',
  );

  const c = r.correctness;
  lines.push(
    `correctness: ${c.measurements} measurements; every accepted task counted in process (delivered and completed ` +
      `once) and read back from its store (state completed, exactly one completed event): ` +
      `${c.lost} lost, ${c.duplicated} completed twice or unexpected, ${c.errors} errors`,
  );
  const firstError = r.runs
    .flatMap((run) => STORES.map((k) => run[k]))
    .flatMap((s) => (s ? [s.throughput, s.latency, s.broadcast, s.broadcastLatency, s.slow] : []))
    .find((m) => m?.counts.firstError !== undefined)?.counts.firstError;
  if (firstError !== undefined) lines.push(`first error: ${firstError}`);
  lines.push('');

  if (r.peers) {
    lines.push(
      `beside the bus (--peers): Node job queues, the same window, queues, handlers held and offered rate; ` +
        `${p.runs} run(s) each, a child process per run`,
      ...renderQueuePeers(r.peers),
      '',
    );
  }
  lines.push('bars:');
  lines.push(...leftTable([['bar', '', 'median (min–max)', 'verdict'], ...r.bars.map(barRow)]).map((l) => `  ${l}`));
  lines.push('see `swiftlet bench --help` for what each figure means');
  return lines.join('\n') + '\n';
}

/** Columns padded to their widest cell, all left-aligned. */
function leftTable(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => (row[i] ?? '').length)));
  return rows.map((row) =>
    row
      .map((cell, i) => cell.padEnd(widths[i]!))
      .join('  ')
      .trimEnd(),
  );
}

function barRow(b: Bar): string[] {
  const digits = b.unit === 'ms' ? 2 : b.unit === '×' ? 2 : 0;
  const value =
    b.value === null ? '-' : `${withRange(b.value, digits)}${b.unit === 'ms' ? ' ms' : b.unit === '/s' ? '/s' : ''}`;
  const verdict =
    b.met === null
      ? `not measured${b.note ? `: ${b.note}` : ''}`
      : `${b.met ? 'met' : 'MISSED'} (${b.metRuns}/${b.runs} runs)${b.note && b.unit === '' ? `; ${b.note}` : ''}`;
  return [b.label, b.bar, value, verdict];
}
