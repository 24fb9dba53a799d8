// After a measurement, in the harness's process: the store it wrote, read back through its TaskStore (every task,
// and every task's events), checked against the ids the publisher was given. A task is lost when it is missing, not
// completed, or has no `completed` event; completed twice when it has more than one.
import { readFileSync } from 'node:fs';
import type { SessionStore, TaskStore } from '../../src/store/index.js';
import type { TaskRecord } from '../../src/core/index.js';
import { BENCH_TENANT, type StoreRef } from './types.js';

export interface Verification {
  /** Top-level tasks the publisher was told were recorded. */
  expected: number;
  /** Task rows of the tenant in the store (broadcast children included). */
  inStore: number;
  /** Tasks in state `completed` with exactly one `completed` event. */
  completedOnce: number;
  /** Expected tasks (and a broadcast's children) missing, not completed, or without a `completed` event. */
  lost: number;
  /** Tasks with more than one `completed` event. */
  duplicated: number;
  /** Tasks in the store nobody published (or children of parents nobody published). */
  unexpected: number;
}

/** Reads of events in flight at once (PostgreSQL answers them on several connections). */
const PARALLEL = 16;

export async function verifyStore(ref: StoreRef, idsFile: string, childrenPer: number): Promise<Verification> {
  const text = readFileSync(idsFile, 'utf8');
  const expected = new Set(text === '' ? [] : text.split('\n'));
  const store = await openRef(ref);
  try {
    return await check(store.tasks, expected, childrenPer);
  } finally {
    await store.close();
  }
}

/** The store a measurement wrote, opened (migrated when new). */
export async function openRef(ref: StoreRef): Promise<SessionStore> {
  const { openStore } = await import('../../src/store/index.js');
  return openStore(
    ref.kind === 'sqlite'
      ? { driver: 'sqlite', path: ref.path }
      : { driver: 'postgres', url: ref.url, schema: ref.schema },
  );
}

async function check(tasks: TaskStore, expected: Set<string>, childrenPer: number): Promise<Verification> {
  const all: TaskRecord[] = [];
  let cursor: string | undefined;
  do {
    const page = await tasks.list(BENCH_TENANT, { limit: 1000, ...(cursor === undefined ? {} : { cursor }) });
    all.push(...page.tasks);
    cursor = page.nextCursor;
  } while (cursor !== undefined);
  const completedEvents = new Uint32Array(all.length);
  for (let from = 0; from < all.length; from += PARALLEL) {
    await Promise.all(
      all.slice(from, from + PARALLEL).map(async (t, j) => {
        let n = 0;
        for (const e of await tasks.events(BENCH_TENANT, t.id)) if (e.type === 'state' && e.state === 'completed') n++;
        completedEvents[from + j] = n;
      }),
    );
  }
  let completedOnce = 0;
  let notCompleted = 0;
  let duplicated = 0;
  let unexpected = 0;
  let topFound = 0;
  const children = new Map<string, number>();
  all.forEach((t, i) => {
    const n = completedEvents[i]!;
    if (n > 1) duplicated++;
    if (n === 0 || t.state !== 'completed') notCompleted++;
    else if (n === 1) completedOnce++;
    if (t.parentId === undefined) {
      if (expected.has(t.id)) topFound++;
      else unexpected++;
    } else {
      if (!expected.has(t.parentId)) unexpected++;
      children.set(t.parentId, (children.get(t.parentId) ?? 0) + 1);
    }
  });
  let missingChildren = 0;
  if (childrenPer > 0) for (const id of expected) missingChildren += Math.max(0, childrenPer - (children.get(id) ?? 0));
  return {
    expected: expected.size,
    inStore: all.length,
    completedOnce,
    lost: expected.size - topFound + missingChildren + notCompleted,
    duplicated,
    unexpected,
  };
}
