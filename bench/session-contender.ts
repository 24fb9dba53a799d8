// Contenders addressed by session rather than by turn number: what the workloads with many sessions at once
// (`concurrency`, `sessions`, the peers) drive. Each is created in the process that measures it, so its memory and CPU
// are its own.
import { join } from 'node:path';
import { fetchPost } from './baselines/fetch-loop.js';
import { poolPost, sqliteAppender } from './baselines/floor.js';
import { HandLoop } from './baselines/loop.js';
import { createSwiftletRuntime } from './contenders/swiftlet.js';
import { FINAL_TEXT, MODEL_IDS } from './workload.js';

export interface SessionContender {
  readonly name: string;
  /** Runs one turn of `sessionId` with `input`; true when it ended with the scripted final answer. */
  turn(sessionId: string, input: string): Promise<boolean>;
  close(): Promise<void>;
}

export interface SessionContenderOptions {
  /** The mock LLM, `http://127.0.0.1:PORT`. */
  mockUrl: string;
  /** A fresh directory for the contender's files. */
  dir: string;
  store: 'sqlite' | 'memory';
  durability: 'durable' | 'relaxed';
  /** Swiftlet's hot cache bound (default: the config default). */
  hotCacheMb?: number;
  /** Keep-alive connections to the mock, for contenders that size their own pool (default 64, Swiftlet's default). */
  connections?: number;
}

export type SessionContenderFactory = (o: SessionContenderOptions) => Promise<SessionContender>;

export const SESSION_CONTENDERS = {
  /** The runtime in-process, built from config as `swiftlet run` builds it. */
  async swiftlet(o) {
    const runtime = await createSwiftletRuntime(o);
    return {
      name: 'swiftlet',
      async turn(sessionId, input) {
        const end = await runtime.run({ sessionId, input }).result;
        return end.outcome === 'final' && end.text === FINAL_TEXT;
      },
      close: () => runtime.close(),
    };
  },
  /** The hand-written loop over global fetch, history in a Map, nothing stored. */
  async fetchLoop(o) {
    const loop = new HandLoop(MODEL_IDS.fetchLoop, fetchPost(o.mockUrl));
    return {
      name: 'fetch loop',
      turn: async (sessionId, input) => (await loop.turn(sessionId, input)) !== undefined,
      close: async () => loop.history.clear(),
    };
  },
  /** The same loop over undici.request on a Pool, plus one SQLite transaction per turn. */
  async floor(o) {
    const mock = poolPost(o.mockUrl, o.connections ?? 64);
    const loop = new HandLoop(MODEL_IDS.floor, mock.post);
    const save = sqliteAppender(join(o.dir, 'floor.db'));
    return {
      name: 'floor',
      async turn(sessionId, input) {
        const added = await loop.turn(sessionId, input);
        if (added === undefined) return false;
        save.append(sessionId, added);
        return true;
      },
      async close() {
        save.close();
        await mock.close();
      },
    };
  },
} satisfies Record<string, SessionContenderFactory>;

export type SessionContenderName = keyof typeof SESSION_CONTENDERS;
