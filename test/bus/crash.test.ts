// Crash durability of the task bus: a child process publishes tasks and runs them (each a turn of its agent on the
// mock LLM) and is SIGKILLed at random moments, many times. Afterwards every task whose publish was acknowledged
// exists and, once a last process has drained the queue, has reached exactly one terminal state: none lost, none
// finished twice.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { isTerminal } from '../../src/core/index.js';
import { startMockLlm, type MockLlm } from '../../src/model/index.js';
import { openStore, type SessionStore } from '../../src/store/index.js';
import { prng } from '../helpers/prng.js';
import { tempDir } from '../helpers/runtime.js';
import { postgresStorage } from '../helpers/services.js';

const CHILD = new URL('../fixtures/task-crash-child.ts', import.meta.url).pathname;
const TSX = import.meta.resolve('tsx');

/** Runs the child until it prints `until` or (killAfterMs set) until SIGKILLed that long after READY. */
async function runChild(mockUrl: string, storage: string, mode: string, killAfterMs?: number): Promise<string[]> {
  const child = spawn(process.execPath, ['--import', TSX, CHILD, mockUrl, storage, mode], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const deadline = Date.now() + 120_000;
  const waitFor = async (line: string): Promise<void> => {
    while (!out.includes(line)) {
      if (child.exitCode !== null || Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`child did not print ${line.trim()}: ${err.slice(-2000)}`);
      }
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  await waitFor('READY\n');
  if (killAfterMs === undefined) {
    await waitFor('DONE\n');
  } else {
    await new Promise((r) => setTimeout(r, killAfterMs));
    child.kill('SIGKILL');
  }
  await exited;
  return out.split('\n').flatMap((l) => (l.startsWith('ACK ') ? [l.slice(4)] : []));
}

async function check(store: SessionStore, acked: Set<string>): Promise<{ completed: number }> {
  let completed = 0;
  for (const id of acked) {
    const task = await store.tasks.get('local', id);
    assert.ok(task, `acknowledged task ${id} is missing`);
    assert.ok(isTerminal(task.state), `task ${id} is ${task.state} after the drain`);
    const events = await store.tasks.events('local', id);
    const ends = events.filter((e) => e.type === 'state' && isTerminal(e.state));
    assert.equal(ends.length, 1, `task ${id} ended ${ends.length} times`);
    if (task.state === 'completed') completed++;
    else assert.fail(`task ${id} ended ${task.state}: ${JSON.stringify(task.error)}`);
  }
  return { completed };
}

function crashSuite(name: string, kills: number, storageFor: (t: never) => Promise<string | null>): void {
  describe(`task crash durability (${name})`, () => {
    let mock: MockLlm;
    before(async () => {
      mock = await startMockLlm({ outputTokens: 4, firstTokenMs: 5 });
    });
    after(() => mock.close());

    test(`SIGKILL at random moments, ${kills} times: every acknowledged task ends exactly once`, async (t) => {
      const storage = await storageFor(t as never);
      if (!storage) return;
      const seed = Number(process.env.SWIFTLET_CRASH_SEED ?? Date.now() % 100000);
      t.diagnostic(`seed ${seed} (replay with SWIFTLET_CRASH_SEED=${seed})`);
      const rand = prng(seed);
      const acked = new Set<string>();
      for (let i = 0; i < kills; i++) {
        for (const id of await runChild(mock.url, storage, 'run', 50 + Math.floor(rand() * 400))) acked.add(id);
      }
      await runChild(mock.url, storage, 'drain');
      const store = await openStore(storeOptions(storage));
      try {
        const { completed } = await check(store, acked);
        t.diagnostic(`${acked.size} tasks acknowledged over ${kills} kills, ${completed} completed`);
        assert.ok(acked.size > kills, 'the children acknowledged tasks between kills');
      } finally {
        await store.close();
      }
    });
  });
}

/** The storage YAML the child gets, as store options for the checking process. */
function storeOptions(storage: string): Parameters<typeof openStore>[0] {
  const sqlite = /path: (\S+) }/.exec(storage);
  if (sqlite) return { driver: 'sqlite', path: sqlite[1]! };
  const url = /url: ("[^"]+")/.exec(storage)![1]!;
  const schema = /schema: (\w+)/.exec(storage)![1]!;
  return { driver: 'postgres', url: JSON.parse(url) as string, schema };
}

crashSuite('SQLite', 12, async (t: { after: (fn: () => void) => void }) => {
  const dir = tempDir(t);
  return `{ driver: sqlite, path: ${join(dir, 'tasks.db')} }`;
});

crashSuite('PostgreSQL', 8, (t) => postgresStorage(t, 'swiftlet_task_crash'));
