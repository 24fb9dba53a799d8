// Preparation of the `sessions` scenario: S stored sessions of H messages each, written through Swiftlet's own store
// adapter (`append`, the call the group-commit writer makes), so the rows are the ones a server writes. Each session
// holds what the `turn` workload leaves behind: turns of turn_start, user, assistant tool call, tool result, assistant
// answer, turn_end (four messages), as createRuntime writes them on the mock.
import { ENTRY_VERSION, LOCAL_TENANT, newId, type Entry, type EntryData } from '../../src/core/index.js';
import type { AppendBatch, SessionStore } from '../../src/store/index.js';
import { currentTime } from '../../src/tools/index.js';
import { FINAL_TEXT, TOOL_NAME, turnInput } from '../workload.js';

/** Sessions per `append` call (one transaction each). */
const BATCH_SESSIONS = { sqlite: 1000, postgres: 500 } as const;
/** Appends in flight at once: PostgreSQL commits on its own cores while the next batch is built here. */
const IN_FLIGHT = { sqlite: 1, postgres: 2 } as const;
/** The stored sessions were created over this span before now. */
const SPAN_MS = 30 * 86_400_000;
/** Time between two turns of one session. */
const TURN_GAP_MS = 20_000;

export interface FillResult {
  sessions: number;
  /** Entries written (messages plus each turn's turn_start and turn_end). */
  entries: number;
  messages: number;
  transactions: number;
  ms: number;
}

/**
 * The turns a session of `messages` messages is made of: tool turns of four messages; a remainder of two or three
 * adds a turn answered without the tool (user, assistant); an odd remainder adds a turn whose model call failed
 * (only the user message is stored), as a provider error leaves it.
 */
export function turnShapes(messages: number): ('tool' | 'plain' | 'failed')[] {
  const shapes: ('tool' | 'plain' | 'failed')[] = Array.from({ length: Math.floor(messages / 4) }, () => 'tool');
  const rest = messages % 4;
  if (rest % 2 === 1) shapes.push('failed');
  if (rest >= 2) shapes.push('plain');
  return shapes;
}

/** One session as a single append: its creation and every entry of its turns, seqs from 1. */
export function sessionBatch(createdAt: number, messages: number, agent: string): AppendBatch {
  const sessionId = newId('ses', createdAt);
  const entries: Entry[] = [];
  let seq = 0;
  const add = (data: EntryData, turnId: string, at: number): void => {
    entries.push({ ...data, v: ENTRY_VERSION, turnId, at, seq: ++seq } as Entry);
  };
  turnShapes(messages).forEach((shape, k) => {
    const t0 = createdAt + 1 + k * TURN_GAP_MS;
    const turnId = newId('turn', t0);
    // Input tokens grow with the history the model is sent, as the mock counts them.
    const inputTokens = 53 + 40 * k;
    add({ type: 'turn_start', agent }, turnId, t0);
    add({ type: 'user', text: turnInput(k) }, turnId, t0);
    if (shape === 'tool') {
      const call = { id: `call_${2 * k + 1}_0`, name: TOOL_NAME, arguments: '{"timezone":"UTC"}' };
      add({ type: 'assistant', text: '', toolCalls: [call] }, turnId, t0 + 10);
      const output = JSON.stringify(currentTime(t0 + 10, 'UTC'));
      add({ type: 'tool_result', callId: call.id, name: call.name, output }, turnId, t0 + 20);
      add({ type: 'assistant', text: FINAL_TEXT }, turnId, t0 + 28);
      add({ type: 'turn_end', outcome: 'final', usage: { inputTokens, outputTokens: 6 }, steps: 2 }, turnId, t0 + 28);
    } else if (shape === 'plain') {
      add({ type: 'assistant', text: FINAL_TEXT }, turnId, t0 + 8);
      add({ type: 'turn_end', outcome: 'final', usage: { inputTokens, outputTokens: 6 }, steps: 1 }, turnId, t0 + 8);
    } else {
      const error = { code: 'SWIFTLET_ERR_MODEL_HTTP', message: 'mock: HTTP 503: overloaded' };
      add(
        { type: 'turn_end', outcome: 'failed', usage: { inputTokens: 0, outputTokens: 0 }, steps: 1, error },
        turnId,
        t0 + 5,
      );
    }
  });
  return { tenant: LOCAL_TENANT, sessionId, create: { agent, metadata: {}, createdAt }, entries };
}

/**
 * Writes `sessions` sessions of `messages` messages into `store`, BATCH_SESSIONS per transaction, and returns their
 * ids (in creation order) with the counts written.
 */
export async function fillStore(
  store: SessionStore,
  o: { sessions: number; messages: number; agent: string; onProgress?: (done: number) => void },
): Promise<{ ids: string[]; result: FillResult }> {
  const kind = store.kind === 'postgres' ? 'postgres' : 'sqlite';
  const batchSize = BATCH_SESSIONS[kind];
  const start = Date.now() - SPAN_MS;
  const step = SPAN_MS / o.sessions;
  const ids: string[] = [];
  let entries = 0;
  let transactions = 0;
  let done = 0;
  const inFlight = new Set<Promise<void>>();
  const t0 = performance.now();
  for (let first = 0; first < o.sessions; first += batchSize) {
    const batches: AppendBatch[] = [];
    for (let i = first; i < Math.min(o.sessions, first + batchSize); i++) {
      const batch = sessionBatch(Math.floor(start + i * step), o.messages, o.agent);
      ids.push(batch.sessionId);
      entries += batch.entries.length;
      batches.push(batch);
    }
    const write = store.append(batches).then(() => {
      transactions++;
      done += batches.length;
      o.onProgress?.(done);
    });
    inFlight.add(write);
    void write.finally(() => inFlight.delete(write)).catch(() => undefined);
    if (inFlight.size >= IN_FLIGHT[kind]) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  return {
    ids,
    result: {
      sessions: o.sessions,
      entries,
      messages: o.sessions * o.messages,
      transactions,
      ms: performance.now() - t0,
    },
  };
}
