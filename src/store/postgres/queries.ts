import type { QueryConfig } from 'pg';
import { encodeEntry, type SessionWrite } from '../plan.js';

const SESSION_COLUMNS = 'tenant, id, agent, created_at, updated_at, last_seq, open_turn, title, metadata';
const ENTRY_COLUMNS = 'seq, turn_id, type, at, data';

/** Hot statements, named so that each connection parses and plans them once. Every one names its tenant. */
export const Q = {
  append: { name: 'swiftlet_append', text: 'SELECT swiftlet_append($1, $2, $3, $4)' },
  lastSeq: { name: 'swiftlet_last_seq', text: 'SELECT last_seq FROM sessions WHERE tenant = $1 AND id = $2' },
  getSession: {
    name: 'swiftlet_get',
    text: `SELECT ${SESSION_COLUMNS} FROM sessions WHERE tenant = $1 AND id = $2`,
  },
  // LIMIT NULL means no limit.
  load: {
    name: 'swiftlet_load',
    text: `SELECT ${ENTRY_COLUMNS} FROM entries WHERE tenant = $1 AND session_id = $2 AND seq > $3
           ORDER BY seq LIMIT $4`,
  },
  loadTail: {
    name: 'swiftlet_load_tail',
    text: `SELECT ${ENTRY_COLUMNS} FROM entries WHERE tenant = $1 AND session_id = $2 AND seq > $3
           ORDER BY seq DESC LIMIT $4`,
  },
  // `updated_at <= $` is the index range; the OR only sorts out rows sharing the cursor's timestamp.
  list: {
    name: 'swiftlet_list',
    text: `SELECT ${SESSION_COLUMNS} FROM sessions WHERE tenant = $1 AND updated_at <= $2 AND (updated_at < $2 OR id > $3)
           ORDER BY updated_at DESC, id LIMIT $4`,
  },
  listAgent: {
    name: 'swiftlet_list_agent',
    text: `SELECT ${SESSION_COLUMNS} FROM sessions
           WHERE tenant = $1 AND agent = $2 AND updated_at <= $3 AND (updated_at < $3 OR id > $4)
           ORDER BY updated_at DESC, id LIMIT $5`,
  },
  // Across every tenant (operator paths): rows sharing a time and an id sort by tenant.
  listAll: {
    name: 'swiftlet_list_all',
    text: `SELECT ${SESSION_COLUMNS} FROM sessions
           WHERE updated_at <= $1 AND (updated_at < $1 OR id > $2 OR (id = $2 AND tenant > $3))
           ORDER BY updated_at DESC, id, tenant LIMIT $4`,
  },
  listAllAgent: {
    name: 'swiftlet_list_all_agent',
    text: `SELECT ${SESSION_COLUMNS} FROM sessions
           WHERE agent = $1 AND updated_at <= $2 AND (updated_at < $2 OR id > $3 OR (id = $3 AND tenant > $4))
           ORDER BY updated_at DESC, id, tenant LIMIT $5`,
  },
  openTurns: {
    name: 'swiftlet_open_turns',
    text: 'SELECT tenant, id, open_turn, open_owner FROM sessions WHERE tenant = $1 AND open_turn IS NOT NULL',
  },
  openTurnsAll: {
    name: 'swiftlet_open_turns_all',
    text: 'SELECT tenant, id, open_turn, open_owner FROM sessions WHERE open_turn IS NOT NULL',
  },
  deleteSession: { text: 'DELETE FROM sessions WHERE tenant = $1 AND id = $2' },
  deleteEntries: { text: 'DELETE FROM entries WHERE tenant = $1 AND session_id = $2' },
  beat: {
    name: 'swiftlet_beat',
    text: `INSERT INTO instances (id, host, pid, beat_at) VALUES ($1, $2, $3, $4)
           ON CONFLICT (id) DO UPDATE SET beat_at = excluded.beat_at`,
  },
  instances: { name: 'swiftlet_instances', text: 'SELECT id, host, pid, beat_at FROM instances' },
  forgetInstance: { name: 'swiftlet_forget_instance', text: 'DELETE FROM instances WHERE id = $1' },
  lockSession: { text: 'SELECT open_turn FROM sessions WHERE tenant = $1 AND id = $2 FOR UPDATE' },
  sessionExists: { text: 'SELECT 1 FROM sessions WHERE tenant = $1 AND id = $2' },
  moveSession: { text: 'UPDATE sessions SET tenant = $1 WHERE tenant = $2 AND id = $3' },
  moveEntries: { text: 'UPDATE entries SET tenant = $1 WHERE tenant = $2 AND session_id = $3' },
} satisfies Record<string, QueryConfig>;

/** The JSON documents swiftlet_append reads: sessions and their metadata, entries and their payloads. */
export function appendArgs(writes: readonly SessionWrite[], owner: string): [string, string, string, string] {
  const sessions: object[] = [];
  const metadata: string[] = [];
  const entries: object[] = [];
  const data: string[] = [];
  for (const w of writes) {
    sessions.push({
      tenant: w.tenant,
      id: w.id,
      ...(w.create ? { agent: w.create.agent, created_at: w.create.createdAt } : { expected: w.expectedSeq }),
      last_seq: w.lastSeq,
      updated_at: w.updatedAt,
      keep_open: w.openTurn === undefined,
      open_turn: w.openTurn ?? null,
      open_owner: typeof w.openTurn === 'string' ? owner : null,
      messages: w.messages,
      ...(w.title === undefined ? {} : { title: w.title }),
    });
    metadata.push(w.create ? JSON.stringify(w.create.metadata) : 'null');
    for (const entry of w.entries) {
      const e = encodeEntry(entry);
      entries.push({ tenant: w.tenant, session_id: w.id, seq: e.seq, turn_id: e.turnId, type: e.type, at: e.at });
      data.push(e.data);
    }
  }
  return [JSON.stringify(sessions), `[${metadata.join(',')}]`, JSON.stringify(entries), `[${data.join(',')}]`];
}
