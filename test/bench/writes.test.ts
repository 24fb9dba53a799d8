import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { runCli } from '../helpers/cli.js';
import { requirePostgres } from '../helpers/services.js';

interface Mode {
  durability: string;
  turns: number;
  completed: number;
  errors: number;
  transactions: number;
  entries: number;
  transactionsPerTurn: number;
  entriesPerTransaction: number;
  turnsPerSec: number;
  txMs: { p50: number; p99: number; max: number };
  turnMs: { p50: number; p95: number; p99: number };
  cpuSeconds: number;
  rssBytes: number;
  heapUsedBytes: number;
}

function checkMode(m: Mode, turns: number): void {
  assert.equal(m.turns, turns);
  assert.equal(m.completed, turns, `${m.durability}: every turn completes`);
  assert.equal(m.errors, 0);
  // A turn writes at least its user message, the tool call, the tool result and the answer.
  assert.ok(m.entries >= 4 * turns, `${m.durability}: ${m.entries} entries for ${turns} turns`);
  assert.ok(m.transactions >= 1 && m.transactions <= m.entries);
  assert.equal(m.transactionsPerTurn, m.transactions / m.completed);
  assert.equal(m.entriesPerTransaction, m.entries / m.transactions);
  assert.ok(m.turnsPerSec > 0);
  assert.ok(m.txMs.p50 > 0 && m.txMs.p50 <= m.txMs.p99 && m.txMs.p99 <= m.txMs.max);
  assert.ok(m.turnMs.p50 > 0 && m.turnMs.p50 <= m.turnMs.p95 && m.turnMs.p95 <= m.turnMs.p99);
  assert.ok(m.cpuSeconds > 0);
  assert.ok(m.rssBytes > m.heapUsedBytes && m.heapUsedBytes > 0);
}

describe('swiftlet bench writes', () => {
  test('counts the store transactions of durable and relaxed turns (SQLite)', async () => {
    const r = await runCli(['bench', 'writes', '--users', '4', '--turns', '5', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const json = JSON.parse(r.stdout);
    assert.equal(json.scenario, 'writes');
    assert.deepEqual(
      json.modes.map((m: Mode) => m.durability),
      ['durable', 'relaxed'],
    );
    for (const m of json.modes) checkMode(m, 20);
    // Durable turns wait for their commit; relaxed ones are written behind, so they never take more transactions.
    assert.ok(json.modes[1].transactions <= json.modes[0].transactions);
    assert.equal(json.durableToRelaxed, json.modes[0].turnsPerSec / json.modes[1].turnsPerSec);
  });

  test('one mode on PostgreSQL, in a schema dropped afterwards; the table names the figures', async (t) => {
    const url = await requirePostgres(t);
    if (url === null) return;
    let pid = 0;
    const r = await runCli(
      ['bench', 'writes', '--users', '3', '--turns', '4', '--store', 'postgres', '--durability', 'durable'],
      { onSpawn: (c) => (pid = c.pid!) },
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /transactions\/turn/);
    assert.match(r.stdout, /durable .* 12\/12/);
    assert.doesNotMatch(r.stdout, /durable ÷ relaxed/);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const left = await client.query('SELECT schema_name FROM information_schema.schemata WHERE schema_name LIKE $1', [
        'swiftlet_bench_%',
      ]);
      // Other benchmark runs may be going on; none of this run's schemas is left (its pid is not among them).
      assert.ok(
        left.rows.every((row: { schema_name: string }) => !row.schema_name.startsWith(`swiftlet_bench_${pid}_`)),
      );
    } finally {
      await client.end();
    }
  });

  test('options of other scenarios are refused in one line', async () => {
    const r = await runCli(['bench', 'writes', '--rate', '5']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--rate does not apply to the writes scenario/);
  });
});
