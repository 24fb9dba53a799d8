import type BetterSqlite3 from 'better-sqlite3';
import { MESSAGE_TYPES_SQL, planPrune, type TurnSummary } from '../plan.js';
import type { PrunePolicy, PruneResult } from '../types.js';

/** Pruning for the SQLite store: rare and off the hot path, so each session is pruned in its own short transaction. */
export class SqlitePruner {
  #expireEntries: BetterSqlite3.Statement<[number]>;
  #expireSessions: BetterSqlite3.Statement<[number]>;
  #candidates: BetterSqlite3.Statement<[number]>;
  #session: BetterSqlite3.Statement<[string]>;
  #turns: BetterSqlite3.Statement<[string]>;
  #states: BetterSqlite3.Statement<[string]>;
  #drop: BetterSqlite3.Statement<[string, string, string]>;
  #recount: BetterSqlite3.Statement<[number, string]>;
  #expire: BetterSqlite3.Transaction<(cutoff: number) => number>;
  #pruneOne: BetterSqlite3.Transaction<(id: string, maxMessages: number) => number>;

  constructor(db: BetterSqlite3.Database) {
    const expired = 'SELECT id FROM sessions WHERE updated_at < ? AND open_turn IS NULL';
    this.#expireEntries = db.prepare(`DELETE FROM entries WHERE session_id IN (${expired})`);
    this.#expireSessions = db.prepare('DELETE FROM sessions WHERE updated_at < ? AND open_turn IS NULL');
    this.#candidates = db.prepare('SELECT id FROM sessions WHERE message_count > ?').pluck();
    this.#session = db.prepare('SELECT open_turn, message_count FROM sessions WHERE id = ?');
    this.#turns = db.prepare(
      `SELECT turn_id AS turnId, SUM(type IN ${MESSAGE_TYPES_SQL}) AS messages FROM entries WHERE session_id = ?
       GROUP BY turn_id ORDER BY MIN(seq)`,
    );
    this.#states = db
      .prepare(
        `SELECT MAX(seq) FROM entries WHERE session_id = ? AND type = 'state' GROUP BY json_extract(data, '$.key')`,
      )
      .pluck();
    this.#drop = db.prepare(
      `DELETE FROM entries WHERE session_id = ? AND turn_id IN (SELECT value FROM json_each(?))
       AND seq NOT IN (SELECT value FROM json_each(?))`,
    );
    this.#recount = db.prepare('UPDATE sessions SET message_count = message_count - ? WHERE id = ?');

    this.#expire = db.transaction((cutoff: number) => {
      this.#expireEntries.run(cutoff);
      return this.#expireSessions.run(cutoff).changes;
    });
    this.#pruneOne = db.transaction((id: string, maxMessages: number) => {
      const s = this.#session.get(id) as { open_turn: string | null; message_count: number } | undefined;
      if (!s || s.message_count <= maxMessages) return 0;
      const turns = this.#turns.all(id) as TurnSummary[];
      const plan = planPrune(turns, s.open_turn ?? undefined, maxMessages);
      if (plan.turnIds.length === 0) return 0;
      const keep = this.#states.all(id) as number[];
      const dropped = this.#drop.run(id, JSON.stringify(plan.turnIds), JSON.stringify(keep)).changes;
      this.#recount.run(plan.messages, id);
      return dropped;
    });
  }

  prune(policy: PrunePolicy): PruneResult {
    const result: PruneResult = { sessionsExpired: 0, entriesDropped: 0 };
    if (policy.ttlMs !== undefined) result.sessionsExpired = this.#expire((policy.now ?? Date.now()) - policy.ttlMs);
    if (policy.maxMessages !== undefined) {
      const max = policy.maxMessages;
      for (const id of this.#candidates.all(max) as string[]) {
        result.entriesDropped += this.#pruneOne.immediate(id, max);
      }
    }
    return result;
  }
}
