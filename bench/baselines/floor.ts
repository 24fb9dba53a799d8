// The floor: the least a durable agent must do per turn. The same hand-written loop, its two model calls through
// `undici.request` on a keep-alive Pool (the cheapest HTTP client in Node), then ONE SQLite transaction (WAL,
// synchronous=NORMAL, prepared statements) appending the turn's messages and bumping the session's sequence number.
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Pool } from 'undici';
import type { Contender, ContenderOptions } from '../contender.js';
import { MODEL_IDS, sessionFor, turnInput } from '../workload.js';
import { HandLoop, type ChatCompletion, type ChatMessage, type Post } from './loop.js';

const SCHEMA = `
  CREATE TABLE sessions (id TEXT PRIMARY KEY, last_seq INTEGER NOT NULL, updated_at INTEGER NOT NULL) WITHOUT ROWID;
  CREATE TABLE entries (
    session_id TEXT NOT NULL, seq INTEGER NOT NULL, at INTEGER NOT NULL, data TEXT NOT NULL,
    PRIMARY KEY (session_id, seq)
  );
`;

export function floorContender(o: ContenderOptions): Contender {
  const mock = poolPost(o.mockUrl, 4);
  const loop = new HandLoop(MODEL_IDS.floor, mock.post);
  const save = o.store === 'sqlite' ? sqliteAppender(join(o.dir, 'floor.db')) : memoryAppender();
  return {
    key: 'floor',
    async turn(i) {
      const sessionId = sessionFor(i, o.sessions);
      const added = await loop.turn(sessionId, turnInput(i));
      if (added === undefined) return false;
      save.append(sessionId, added);
      return true;
    },
    async close() {
      save.close();
      await mock.close();
    },
  };
}

/** Chat Completions requests through `undici.request` on a keep-alive Pool of `connections` to the mock. */
export function poolPost(mockUrl: string, connections: number): { post: Post; close: () => Promise<void> } {
  const pool = new Pool(new URL(mockUrl).origin, { connections, keepAliveTimeout: 60_000 });
  const headers = { 'content-type': 'application/json', authorization: 'Bearer bench' };
  return {
    async post(body) {
      const res = await pool.request({ method: 'POST', path: '/v1/chat/completions', headers, body });
      if (res.statusCode !== 200) throw new Error(`mock LLM answered ${res.statusCode}: ${await res.body.text()}`);
      return (await res.body.json()) as ChatCompletion;
    },
    close: () => pool.close(),
  };
}

export interface Appender {
  append(sessionId: string, messages: readonly ChatMessage[]): void;
  close(): void;
}

export function sqliteAppender(path: string): Appender {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec(SCHEMA);
  const insert = db.prepare('INSERT INTO entries (session_id, seq, at, data) VALUES (?, ?, ?, ?)');
  const upsert = db.prepare(
    'INSERT INTO sessions (id, last_seq, updated_at) VALUES (?, ?, ?) ' +
      'ON CONFLICT (id) DO UPDATE SET last_seq = excluded.last_seq, updated_at = excluded.updated_at',
  );
  const seqs = new Map<string, number>();
  const write = db.transaction((sessionId: string, messages: readonly ChatMessage[]) => {
    const at = Date.now();
    let seq = seqs.get(sessionId) ?? 0;
    for (const m of messages) insert.run(sessionId, ++seq, at, JSON.stringify(m));
    upsert.run(sessionId, seq, at);
    seqs.set(sessionId, seq);
  });
  return {
    append: (sessionId, messages) => write.immediate(sessionId, messages),
    close: () => db.close(),
  };
}

/** With `--store memory`: the turn's messages serialised and kept, as an in-memory store would. */
function memoryAppender(): Appender {
  const logs = new Map<string, string[]>();
  return {
    append(sessionId, messages) {
      let log = logs.get(sessionId);
      if (log === undefined) logs.set(sessionId, (log = []));
      for (const m of messages) log.push(JSON.stringify(m));
    },
    close: () => logs.clear(),
  };
}
