import type { Pool, PoolClient } from 'pg';
import { ALL_TENANTS, type TenantScope } from '../../core/index.js';
import { MESSAGE_TYPES_SQL, planPrune, type TurnSummary } from '../plan.js';
import type { PrunePolicy, PruneResult } from '../types.js';

type Transaction = <T>(what: string, fn: (client: PoolClient) => Promise<T>) => Promise<T>;

// $1 is the tenant swept, or NULL for every tenant.
const SCOPED = '($1::text IS NULL OR tenant = $1)';
const EXPIRE = `DELETE FROM sessions WHERE ${SCOPED} AND updated_at < $2 AND open_turn IS NULL RETURNING tenant, id`;
const EXPIRE_ENTRIES = `DELETE FROM entries e USING unnest($1::text[], $2::text[]) AS x(tenant, id)
  WHERE e.tenant = x.tenant AND e.session_id = x.id`;
const CANDIDATES = `SELECT tenant, id FROM sessions WHERE ${SCOPED} AND message_count > $2`;
// FOR UPDATE: an append to this session waits until the prune commits, so the counts stay exact.
const LOCK_SESSION = 'SELECT open_turn, message_count FROM sessions WHERE tenant = $1 AND id = $2 FOR UPDATE';
const TURNS = `SELECT turn_id AS "turnId", (count(*) FILTER (WHERE type IN ${MESSAGE_TYPES_SQL}))::int AS messages
  FROM entries WHERE tenant = $1 AND session_id = $2 GROUP BY turn_id ORDER BY MIN(seq)`;
const NEWEST_STATES = `SELECT MAX(seq) AS seq FROM entries WHERE tenant = $1 AND session_id = $2 AND type = 'state'
  GROUP BY data->>'key'`;
const DROP = `DELETE FROM entries WHERE tenant = $1 AND session_id = $2 AND turn_id = ANY($3::text[])
  AND NOT (seq = ANY($4::int[]))`;
const RECOUNT = 'UPDATE sessions SET message_count = message_count - $1 WHERE tenant = $2 AND id = $3';

interface Key {
  tenant: string;
  id: string;
}

/** Pruning is rare and off the hot path: TTL expiry in one transaction, then one short transaction per session. */
export async function prunePostgres(
  pool: Pool,
  scope: TenantScope,
  policy: PrunePolicy,
  transaction: Transaction,
): Promise<PruneResult> {
  const tenant = scope === ALL_TENANTS ? null : scope;
  const result: PruneResult = { sessionsExpired: 0, entriesDropped: 0 };
  if (policy.ttlMs !== undefined) {
    const cutoff = (policy.now ?? Date.now()) - policy.ttlMs;
    result.sessionsExpired = await transaction('prune', async (client) => {
      const { rows } = await client.query<Key>(EXPIRE, [tenant, cutoff]);
      if (rows.length > 0) {
        await client.query(EXPIRE_ENTRIES, [rows.map((r) => r.tenant), rows.map((r) => r.id)]);
      }
      return rows.length;
    });
  }
  const max = policy.maxMessages;
  if (max !== undefined) {
    const { rows } = await pool.query<Key>(CANDIDATES, [tenant, max]);
    for (const key of rows) {
      const k = [key.tenant, key.id];
      result.entriesDropped += await transaction('prune', async (client) => {
        const s = (await client.query<{ open_turn: string | null; message_count: number }>(LOCK_SESSION, k)).rows[0];
        if (!s || s.message_count <= max) return 0;
        const turns = (await client.query<TurnSummary>(TURNS, k)).rows;
        const plan = planPrune(turns, s.open_turn ?? undefined, max);
        if (plan.turnIds.length === 0) return 0;
        const keep = (await client.query<{ seq: number }>(NEWEST_STATES, k)).rows.map((r) => r.seq);
        const dropped = await client.query(DROP, [...k, plan.turnIds, keep]);
        await client.query(RECOUNT, [plan.messages, ...k]);
        return dropped.rowCount ?? 0;
      });
    }
  }
  return result;
}
