// Crash durability: a child process runs durable turns and is SIGKILLed at random moments, many times. After each
// kill, every turn whose terminal event the child saw must be fully in the store; after recovery every session must
// be valid (turns closed, tool calls paired with results, seqs increasing).
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { startMockLlm, type MockLlm } from '../../src/model/index.js';
import { openStore, type SessionStore } from '../../src/store/index.js';
import { recoverOpenTurns } from '../../src/runtime/index.js';
import { ALL_TENANTS, type Entry } from '../../src/core/index.js';
import { prng } from '../helpers/prng.js';
import { tempDir } from '../helpers/runtime.js';
import { requirePostgres } from '../helpers/services.js';

const CHILD = new URL('../fixtures/crash-child.ts', import.meta.url).pathname;
const TSX = import.meta.resolve('tsx');
const WORKERS = 4;

interface Acked {
  sessionId: string;
  turnId: string;
  outcome: string;
}

async function runAndKill(mockUrl: string, storage: string, killAfterMs: number): Promise<Acked[]> {
  const child = spawn(process.execPath, ['--import', TSX, CHILD, mockUrl, storage, String(WORKERS)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const deadline = Date.now() + 30_000;
  while (!out.includes('READY\n')) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`child did not start: ${err}`);
    await new Promise((r) => setTimeout(r, 10));
  }
  await new Promise((r) => setTimeout(r, killAfterMs));
  child.kill('SIGKILL');
  await exited;
  return out
    .split('\n')
    .filter((l) => l.startsWith('END '))
    .map((l) => {
      const [, sessionId, turnId, outcome] = l.split(' ');
      return { sessionId: sessionId!, turnId: turnId!, outcome: outcome! };
    });
}

async function checkAcked(store: SessionStore, acked: Acked[]): Promise<void> {
  const bySession = new Map<string, Entry[]>();
  for (const a of acked) {
    let entries = bySession.get(a.sessionId);
    if (!entries) {
      entries = await store.load({ tenant: 'local', id: a.sessionId });
      bySession.set(a.sessionId, entries);
    }
    const turn = entries.filter((e) => e.turnId === a.turnId).map((e) => e.type);
    assert.equal(turn[0], 'turn_start', `acknowledged turn ${a.turnId} is missing its start`);
    assert.equal(turn.at(-1), 'turn_end', `acknowledged turn ${a.turnId} is missing its end`);
    if (a.outcome === 'final') {
      assert.deepEqual(turn, ['turn_start', 'user', 'assistant', 'tool_result', 'assistant', 'turn_end']);
    }
  }
}

async function checkValid(store: SessionStore): Promise<number> {
  assert.deepEqual(await store.openTurns(ALL_TENANTS), []);
  let turns = 0;
  for (let k = 0; k < WORKERS; k++) {
    const entries = await store.load({ tenant: 'local', id: `crash-${k}` });
    let open: string | undefined;
    let lastSeq = 0;
    const pending = new Set<string>();
    for (const e of entries) {
      assert.ok(e.seq > lastSeq, 'seqs increase');
      lastSeq = e.seq;
      if (e.type === 'turn_start') {
        assert.equal(open, undefined, 'a turn starts only after the previous one ended');
        open = e.turnId;
        continue;
      }
      assert.equal(e.turnId, open, 'every entry belongs to the open turn');
      if (e.type === 'assistant') for (const c of e.toolCalls ?? []) pending.add(c.id);
      if (e.type === 'tool_result') assert.ok(pending.delete(e.callId), 'a tool result answers a call');
      if (e.type === 'turn_end') {
        assert.equal(pending.size, 0, 'every tool call of a closed turn has a result');
        open = undefined;
        turns++;
      }
    }
    assert.equal(open, undefined);
  }
  return turns;
}

interface CrashTarget {
  storage: string;
  open: () => Promise<SessionStore>;
  /** Database-level consistency check after all kills (SQLite: PRAGMA integrity_check). */
  integrity?: () => Promise<void>;
}

function crashSuite(
  name: string,
  iterations: number,
  makeStorage: (t: { after: (fn: () => unknown) => void }) => Promise<CrashTarget | null>,
): void {
  describe(`crash durability (${name})`, () => {
    let mock: MockLlm;
    before(async () => {
      mock = await startMockLlm({
        script: [{ toolCalls: [{ name: 'current_time', arguments: {} }] }, { text: 'done' }],
        outputTokens: 4,
      });
    });
    after(async () => {
      await mock.close();
    });

    test(`SIGKILL at random moments, ${iterations} times: acknowledged turns are stored, sessions stay valid`, async (t) => {
      const target = await makeStorage(t);
      if (!target) return;
      const seed = Number(process.env.SWIFTLET_CRASH_SEED ?? Date.now() % 100000);
      t.diagnostic(`seed ${seed} (replay with SWIFTLET_CRASH_SEED=${seed})`);
      const rand = prng(seed);
      let acknowledged = 0;
      for (let i = 0; i < iterations; i++) {
        const acked = await runAndKill(mock.url, target.storage, 20 + Math.floor(rand() * 400));
        acknowledged += acked.length;
        const store = await target.open();
        try {
          await checkAcked(store, acked);
        } finally {
          await store.close();
        }
      }
      const store = await target.open();
      try {
        await recoverOpenTurns(store, ALL_TENANTS);
        const turns = await checkValid(store);
        assert.ok(acknowledged > 0, 'the child completed turns before being killed');
        assert.ok(turns >= acknowledged);
        t.diagnostic(`${acknowledged} acknowledged turns across ${iterations} kills; ${turns} turns stored`);
      } finally {
        await store.close();
      }
      await target.integrity?.();
    });
  });
}

crashSuite('sqlite', 15, async (t) => {
  const path = join(tempDir(t), 'crash.db');
  return {
    storage: `{ driver: sqlite, path: ${path} }`,
    open: () => openStore({ driver: 'sqlite', path }),
    integrity: async () => {
      const { default: Database } = await import('better-sqlite3');
      const db = new Database(path, { readonly: true });
      try {
        assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
      } finally {
        db.close();
      }
    },
  };
});

crashSuite('postgres', 8, async (t) => {
  const url = await requirePostgres(t as never);
  if (!url) return null;
  const schema = `swiftlet_crash_${randomBytes(4).toString('hex')}`;
  t.after(async () => {
    const pg = await import('pg');
    const client = new pg.default.Client({ connectionString: url });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await client.end();
  });
  return {
    storage: `{ driver: postgres, url: "${url}", schema: ${schema} }`,
    open: () => openStore({ driver: 'postgres', url, schema }),
  };
});
