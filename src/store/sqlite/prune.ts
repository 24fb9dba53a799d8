import type BetterSqlite3 from 'better-sqlite3';
import { ALL_TENANTS, type TenantScope } from '../../core/index.js';
import { MESSAGE_TYPES_SQL, planPrune, type TurnSummary } from '../plan.js';
import type { PrunePolicy, PruneResult } from '../types.js';

/** A sweep's parameters: the tenant (null: every tenant) and the cutoff time or message count. */
interface Sweep {
  tenant: string | null;
  limit: number;
}

interface Candidate {
  tenant: string;
  id: string;
}

/**
 * Pruning for the SQLite store: rare and off the hot path, so each session is pruned in its own short transaction.
 * A sweep covers one tenant or all of them; `@tenant` below is the tenant, or NULL for every tenant.
 */
export class SqlitePruner {
  #expireEntries: BetterSqlite3.Statement<[Sweep]>;
  #expireSessions: BetterSqlite3.Statement<[Sweep]>;
  #candidates: BetterSqlite3.Statement<[Sweep]>;
  #session: BetterSqlite3.Statement<[string, string]>;
  #turns: BetterSqlite3.Statement<[string, string]>;
  #states: BetterSqlite3.Statement<[string, string]>;
  #drop: BetterSqlite3.Statement<[string, string, string, string]>;
  #recount: BetterSqlite3.Statement<[number, string, string]>;
  #expire: BetterSqlite3.Transaction<(tenant: string | null, cutoff: number) => number>;
  #pruneOne: BetterSqlite3.Transaction<(c: Candidate, maxMessages: number) => number>;

  constructor(db: BetterSqlite3.Database) {
    const scoped = '(@tenant IS NULL OR tenant = @tenant)';
    const expired = `${scoped} AND updated_at < @limit AND open_turn IS NULL`;
    this.#expireEntries = db.prepare(
      `DELETE FROM entries WHERE (tenant, session_id) IN (SELECT tenant, id FROM sessions WHERE ${expired})`,
    );
    this.#expireSessions = db.prepare(`DELETE FROM sessions WHERE ${expired}`);
    this.#candidates = db.prepare(`SELECT tenant, id FROM sessions WHERE ${scoped} AND message_count > @limit`);
    this.#session = db.prepare('SELECT open_turn, message_count FROM sessions WHERE tenant = ? AND id = ?');
    this.#turns = db.prepare(
      `SELECT turn_id AS turnId, SUM(type IN ${MESSAGE_TYPES_SQL}) AS messages FROM entries
       WHERE tenant = ? AND session_id = ? GROUP BY turn_id ORDER BY MIN(seq)`,
    );
    this.#states = db
      .prepare(
        `SELECT MAX(seq) FROM entries WHERE tenant = ? AND session_id = ? AND type = 'state'
         GROUP BY json_extract(data, '$.key')`,
      )
      .pluck();
    this.#drop = db.prepare(
      `DELETE FROM entries WHERE tenant = ? AND session_id = ? AND turn_id IN (SELECT value FROM json_each(?))
       AND seq NOT IN (SELECT value FROM json_each(?))`,
    );
    this.#recount = db.prepare('UPDATE sessions SET message_count = message_count - ? WHERE tenant = ? AND id = ?');

    this.#expire = db.transaction((tenant: string | null, cutoff: number) => {
      this.#expireEntries.run({ tenant, limit: cutoff });
      return this.#expireSessions.run({ tenant, limit: cutoff }).changes;
    });
    this.#pruneOne = db.transaction(({ tenant, id }: Candidate, maxMessages: number) => {
      const s = this.#session.get(tenant, id) as { open_turn: string | null; message_count: number } | undefined;
      if (!s || s.message_count <= maxMessages) return 0;
      const turns = this.#turns.all(tenant, id) as TurnSummary[];
      const plan = planPrune(turns, s.open_turn ?? undefined, maxMessages);
      if (plan.turnIds.length === 0) return 0;
      const keep = this.#states.all(tenant, id) as number[];
      const dropped = this.#drop.run(tenant, id, JSON.stringify(plan.turnIds), JSON.stringify(keep)).changes;
      this.#recount.run(plan.messages, tenant, id);
      return dropped;
    });
  }

  prune(scope: TenantScope, policy: PrunePolicy): PruneResult {
    const tenant = scope === ALL_TENANTS ? null : scope;
    const result: PruneResult = { sessionsExpired: 0, entriesDropped: 0 };
    if (policy.ttlMs !== undefined) {
      result.sessionsExpired = this.#expire(tenant, (policy.now ?? Date.now()) - policy.ttlMs);
    }
    if (policy.maxMessages !== undefined) {
      const max = policy.maxMessages;
      for (const c of this.#candidates.all({ tenant, limit: max }) as Candidate[]) {
        result.entriesDropped += this.#pruneOne.immediate(c, max);
      }
    }
    return result;
  }
}
