import type { Pool, PoolClient } from 'pg';
import { MESSAGE_TYPES_SQL, planPrune, type TurnSummary } from '../plan.js';
import type { PrunePolicy, PruneResult } from '../types.js';

type Transaction = <T>(what: string, fn: (client: PoolClient) => Promise<T>) => Promise<T>;

const EXPIRE = 'DELETE FROM sessions WHERE updated_at < $1 AND open_turn IS NULL RETURNING id';
const EXPIRE_ENTRIES = 'DELETE FROM entries WHERE session_id = ANY($1::text[])';
const CANDIDATES = 'SELECT id FROM sessions WHERE message_count > $1';
// FOR UPDATE: an append to this session waits until the prune commits, so the counts stay exact.
const LOCK_SESSION = 'SELECT open_turn, message_count FROM sessions WHERE id = $1 FOR UPDATE';
const TURNS = `SELECT turn_id AS "turnId", (count(*) FILTER (WHERE type IN ${MESSAGE_TYPES_SQL}))::int AS messages
  FROM entries WHERE session_id = $1 GROUP BY turn_id ORDER BY MIN(seq)`;
const NEWEST_STATES = `SELECT MAX(seq) AS seq FROM entries WHERE session_id = $1 AND type = 'state'
  GROUP BY data->>'key'`;
const DROP = `DELETE FROM entries WHERE session_id = $1 AND turn_id = ANY($2::text[])
  AND NOT (seq = ANY($3::int[]))`;
const RECOUNT = 'UPDATE sessions SET message_count = message_count - $1 WHERE id = $2';

/** Pruning is rare and off the hot path: TTL expiry in one transaction, then one short transaction per session. */
export async function prunePostgres(pool: Pool, policy: PrunePolicy, transaction: Transaction): Promise<PruneResult> {
  const result: PruneResult = { sessionsExpired: 0, entriesDropped: 0 };
  if (policy.ttlMs !== undefined) {
    const cutoff = (policy.now ?? Date.now()) - policy.ttlMs;
    result.sessionsExpired = await transaction('prune', async (client) => {
      const { rows } = await client.query<{ id: string }>(EXPIRE, [cutoff]);
      if (rows.length > 0) await client.query(EXPIRE_ENTRIES, [rows.map((r) => r.id)]);
      return rows.length;
    });
  }
  const max = policy.maxMessages;
  if (max !== undefined) {
    const { rows } = await pool.query<{ id: string }>(CANDIDATES, [max]);
    for (const { id } of rows) {
      result.entriesDropped += await transaction('prune', async (client) => {
        const s = (await client.query<{ open_turn: string | null; message_count: number }>(LOCK_SESSION, [id])).rows[0];
        if (!s || s.message_count <= max) return 0;
        const turns = (await client.query<TurnSummary>(TURNS, [id])).rows;
        const plan = planPrune(turns, s.open_turn ?? undefined, max);
        if (plan.turnIds.length === 0) return 0;
        const keep = (await client.query<{ seq: number }>(NEWEST_STATES, [id])).rows.map((r) => r.seq);
        const dropped = await client.query(DROP, [id, plan.turnIds, keep]);
        await client.query(RECOUNT, [plan.messages, id]);
        return dropped.rowCount ?? 0;
      });
    }
  }
  return result;
}
