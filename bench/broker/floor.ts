// The floor of the `broker` scenario: the same task life cycle on the same SQLite schema (migration 5, WAL,
// synchronous NORMAL) with nothing but prepared statements in batched transactions: no bus, no queues, no routing,
// no promises, no records in memory. Each task is a row insert and its `submitted` event; a claim with a lease (a
// guarded update of the row and its `working` event); a completion with a result (a guarded update and its
// `completed` event), with the bytes the bus writes. The transactions are pipelined as a busy bus's are: each
// creates K.floorBatch new tasks, claims the batch created before and completes the batch claimed before that.
import { writeFileSync } from 'node:fs';
import { monotonicId } from '../../src/core/index.js';
import { SqliteStore } from '../../src/store/index.js';
import { INPUT_TEXT, REQUESTER, RESULT, agentNames, type Progress } from './load.js';
import { BENCH_TENANT, BROKER_CONSTANTS as K, type FloorFigures, type LoadParams } from './types.js';

/** What the store writes (task-rows.ts), byte for byte: the format version first. */
const V = 1;
const SUBMITTED = JSON.stringify({ v: V, type: 'state', state: 'submitted' });
const COMPLETED = JSON.stringify({ v: V, type: 'state', state: 'completed' });
const RESULT_JSON = JSON.stringify({ v: V, ...RESULT });
const LEASE_MS = 30_000;
/** Stands for the bus's instance id: the owner of the claims. */
const OWNER = 'inst_floor';

interface FloorTask {
  id: string;
  agent: string;
}

export async function runFloor(
  path: string,
  idsFile: string,
  p: LoadParams,
  report: Progress,
): Promise<{ figures: FloorFigures }> {
  // The schema exactly as the store makes it: open (migrate) and close a SqliteStore, then use the file directly.
  const store = new SqliteStore({ path });
  await store.init();
  await store.close();
  const { default: Database } = await import('better-sqlite3');
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  const insert = db.prepare<[string, string, string, string, number, number, string]>(
    `INSERT INTO tasks (tenant, id, state, target, agent, assignee, owner, lease_until, priority, deadline,
       idempotency_key, parent_id, depth, attempt, max_attempts, created_at, updated_at, last_seq, spec, result, error)
     VALUES (?, ?, 'submitted', ?, ?, NULL, NULL, NULL, 0, NULL, NULL, NULL, 0, 0, 3, ?, ?, 1, ?, NULL, NULL)`,
  );
  const event = db.prepare<[string, string, number, number, string]>(
    'INSERT INTO task_events (tenant, task_id, seq, at, data) VALUES (?, ?, ?, ?, ?)',
  );
  const claim = db.prepare<[string, string, number, number, string, string]>(
    `UPDATE tasks SET state = 'working', attempt = 1, assignee = ?, owner = ?, lease_until = ?, updated_at = ?,
       last_seq = last_seq + 1
     WHERE tenant = ? AND id = ? AND state = 'submitted' AND attempt = 0 RETURNING last_seq`,
  );
  const complete = db.prepare<[string, number, string, string, string]>(
    `UPDATE tasks SET state = 'completed', owner = NULL, lease_until = NULL, result = ?, updated_at = ?,
       last_seq = last_seq + 1
     WHERE tenant = ? AND id = ? AND state = 'working' AND attempt = 1 AND owner = ? RETURNING last_seq`,
  );
  let guardMisses = 0;
  const step = db.transaction((creating: FloorTask[], claiming: FloorTask[], completing: FloorTask[], i0: number) => {
    const now = Date.now();
    for (let j = 0; j < creating.length; j++) {
      const t = creating[j]!;
      const spec = {
        v: V,
        target: { agent: t.agent },
        input: { text: INPUT_TEXT, data: i0 + j },
        requester: REQUESTER,
      };
      insert.run(BENCH_TENANT, t.id, `agent:${t.agent}`, t.agent, now, now, JSON.stringify(spec));
      event.run(BENCH_TENANT, t.id, 1, now, SUBMITTED);
    }
    for (const t of claiming) {
      const row = claim.get(t.agent, OWNER, now + LEASE_MS, now, BENCH_TENANT, t.id) as
        { last_seq: number } | undefined;
      if (!row) {
        guardMisses++;
        continue;
      }
      const data = JSON.stringify({ v: V, type: 'state', state: 'working', attempt: 1, assignee: t.agent });
      event.run(BENCH_TENANT, t.id, row.last_seq, now, data);
    }
    for (const t of completing) {
      const row = complete.get(RESULT_JSON, now, BENCH_TENANT, t.id, OWNER) as { last_seq: number } | undefined;
      if (!row) {
        guardMisses++;
        continue;
      }
      event.run(BENCH_TENANT, t.id, row.last_seq, now, COMPLETED);
    }
  });
  const names = agentNames(p.subscribers);
  const ids: string[] = [];
  let transactions = 0;
  const total = p.warmupTasks + p.tasks;
  /** Tasks [from, to) through the pipeline, to the last completion. */
  const pipeline = (from: number, to: number): void => {
    let claiming: FloorTask[] = [];
    let completing: FloorTask[] = [];
    for (let i = from; i < to || claiming.length > 0 || completing.length > 0; i += K.floorBatch) {
      const creating: FloorTask[] = [];
      for (let j = i; j < Math.min(to, i + K.floorBatch); j++) {
        const t = { id: monotonicId('task'), agent: names[j % names.length]! };
        creating.push(t);
        ids.push(t.id);
      }
      step.immediate(creating, claiming, completing, i);
      transactions++;
      completing = claiming;
      claiming = creating;
      if (transactions % 20 === 0) report(`floor ${Math.min(i, to)}/${total}`);
    }
  };
  try {
    pipeline(0, p.warmupTasks);
    const tx0 = transactions;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    pipeline(p.warmupTasks, total);
    const wallMs = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    writeFileSync(idsFile, ids.join('\n'));
    return {
      figures: {
        kind: 'floor',
        tasks: p.tasks,
        batch: K.floorBatch,
        wallMs,
        perSec: (p.tasks * 1000) / wallMs,
        transactions: transactions - tx0,
        cpuUsPerTask: (cpu.user + cpu.system) / p.tasks,
        guardMisses,
      },
    };
  } finally {
    db.close();
  }
}
