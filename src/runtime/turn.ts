import { channel } from 'node:diagnostics_channel';
import { performance } from 'node:perf_hooks';
import {
  CHANNELS,
  ENTRY_VERSION,
  emptyUsage,
  toSwiftletError,
  type Entry,
  type EntryData,
  type JSONValue,
  type TurnEndEvent,
} from '../core/index.js';
import type { Agent } from '../agent/index.js';
import { sessionTitle, type GroupCommitWriter, type SessionStore } from '../store/index.js';
import type { SessionState } from '../tools/index.js';
import type { TurnEvents } from './event-queue.js';
import { commitTurn, type TurnWrites } from './turn-commit.js';
import { entryBytes, isHotEntry, jsonBytes, type SessionCache, type SessionRecord } from './session-cache.js';

const turnStart = channel(CHANNELS.turnStart);
const turnEnd = channel(CHANNELS.turnEnd);

export interface TurnDeps {
  /** Where the turn's entries go; absent for an ephemeral turn, which stores nothing. */
  persist:
    | {
        writer: GroupCommitWriter;
        store: SessionStore;
        cache: SessionCache;
        durable: boolean;
        /** Counts commits re-sequenced after another process's entries (see turn-commit.ts). */
        resequenced: { count: number };
      }
    | undefined;
}

export interface TurnSpec {
  /** The session's key string (tenant and id), as the cache knows it. */
  key: string;
  sessionId: string;
  turnId: string;
  agentName: string;
  agent: Agent;
  input: string;
  signal: AbortSignal;
  metadata: { [key: string]: JSONValue };
  /** Message entries to keep hot per session (the agent's history window). */
  historyWindow: number;
  /** See RunRequest.acknowledgeStart; absent: whether the events are read as they come. */
  acknowledgeStart?: boolean;
}

/**
 * Runs one turn on a loaded session record: records every entry the turn adds (they stream to the group-commit
 * writer as they are made), forwards the agent's events, and ends with exactly one terminal event, which in durable
 * mode is emitted only once the turn's entries are committed.
 */
export async function executeTurn(
  deps: TurnDeps,
  rec: SessionRecord,
  spec: TurnSpec,
  events: TurnEvents,
): Promise<void> {
  const { sessionId, turnId } = spec;
  const tenant = rec.info.tenant;
  const history = rec.entries.slice();
  // What this turn wrote, for a commit that must re-sequence it after another process appended to the session.
  const written: TurnWrites = { entries: [], create: undefined, committed: false };
  const record = (data: EntryData): void => {
    const entry = stamp(data, turnId, Date.now(), rec.info.lastSeq + 1);
    rec.info.lastSeq = entry.seq;
    rec.info.updatedAt = entry.at;
    // The hot record keeps messages only (turn markers and state entries live in the store; state in rec.state),
    // as the agent made them: the stored fields (seq, turn id, time, version) are the store's business.
    const hot = isHotEntry(entry);
    if (hot) {
      if (entry !== data && entry.type === 'assistant' && entry.toolCalls !== undefined)
        (data as typeof entry).toolCalls = entry.toolCalls;
      rec.entries.push(data);
    }
    const p = deps.persist;
    if (!p) return;
    if (hot) {
      const bytes = entryBytes(entry);
      rec.bytes += bytes;
      p.cache.grew(bytes);
    }
    written.entries.push(entry);
    if (rec.isNew) {
      rec.isNew = false;
      written.create = { agent: rec.info.agent, metadata: rec.info.metadata, createdAt: rec.info.createdAt };
      p.writer.enqueue({ tenant, sessionId, create: written.create, entries: [entry] });
    } else p.writer.enqueue({ tenant, sessionId, entries: [entry] });
  };
  const state: SessionState = {
    get: (key) => rec.state?.get(key),
    set: (key, value) => {
      const map = (rec.state ??= new Map());
      const before = map.get(key);
      map.set(key, value);
      const grew = jsonBytes(value) - (before === undefined ? 0 : jsonBytes(before));
      rec.bytes += grew;
      deps.persist?.cache.grew(grew);
      record({ type: 'state', key, value });
    },
  };

  const startedAt = performance.now();
  if (turnStart.hasSubscribers) turnStart.publish({ tenant, sessionId, turnId, agent: spec.agentName });
  // A session's first message titles it in the store (see sessionTitle); its cached copy shows the same at once.
  if (rec.info.lastSeq === 0 && rec.info.title === undefined) {
    const title = sessionTitle(spec.input);
    if (title !== undefined) rec.info.title = title;
  }
  record({ type: 'turn_start', agent: spec.agentName });
  record({ type: 'user', text: spec.input });
  rec.info.openTurn = turnId;
  const p = deps.persist;
  // Someone follows this turn's events: turn-start is its acknowledgement (the first byte of a stream, a WebSocket's
  // turn-accepted), so in durable mode the turn's start and its input are committed before it goes out. A crash
  // after that leaves a turn that recovery closes as interrupted, input kept. (A caller that waits only for the
  // result learns of the turn at its end, which is committed anyway.)
  if (p?.durable && (spec.acknowledgeStart ?? !events.resultOnly)) {
    const failed = await commitOrFail(p, rec, spec, written, 'started');
    if (failed) return finish(failed, tenant, spec, startedAt, events);
  }
  const pushed = events.push({ type: 'turn-start', turnId, sessionId, agent: spec.agentName });
  if (pushed) await pushed;

  let end: TurnEndEvent;
  try {
    // Nobody watches the events as they happen: whole answers cost the provider and us less than streams.
    const stream = !events.resultOnly;
    const input = { tenant, sessionId, turnId, input: spec.input, history, signal: spec.signal, state, record, stream };
    end = await spec.agent.run(input, (event) => events.push(event));
  } catch (err) {
    // The agent reports failures as a terminal event; reaching here is a bug, still closed as a failed turn.
    const e = toSwiftletError(err);
    end = {
      type: 'turn-end',
      turnId,
      sessionId,
      outcome: 'failed',
      text: '',
      usage: emptyUsage(),
      steps: 0,
      error: { code: e.code, message: e.message },
    };
  }
  record({
    type: 'turn_end',
    outcome: end.outcome,
    usage: end.usage,
    steps: end.steps,
    ...(end.error ? { error: end.error } : {}),
  });
  delete rec.info.openTurn;
  // Pushes grew the array by half again plus 16 slots; a hot session keeps only the slots it fills (a trim already
  // made a new array of exactly its length).
  if (!(p && trimHot(p.cache, rec, spec.historyWindow))) rec.entries = rec.entries.slice();
  if (p?.durable) end = (await commitOrFail(p, rec, spec, written, 'saved', end)) ?? end;
  finish(end, tenant, spec, startedAt, events);
}

/**
 * Commits what the turn recorded so far (re-sequenced after the session's entries if another process appended to it
 * meanwhile). On a store failure: the turn's end as failed (not committed, so not acknowledged: the client learns the
 * turn failed, and the store stays the truth, the hot copy dropped).
 */
async function commitOrFail(
  p: NonNullable<TurnDeps['persist']>,
  rec: SessionRecord,
  spec: TurnSpec,
  written: TurnWrites,
  what: 'started' | 'saved',
  end?: TurnEndEvent,
): Promise<TurnEndEvent | undefined> {
  try {
    await commitTurn(p, rec, spec.key, written);
    return undefined;
  } catch (err) {
    p.cache.delete(spec.key);
    const e = toSwiftletError(err, 'SWIFTLET_ERR_STORE');
    return {
      ...(end ?? {
        type: 'turn-end',
        turnId: spec.turnId,
        sessionId: spec.sessionId,
        text: '',
        usage: emptyUsage(),
        steps: 0,
      }),
      outcome: 'failed',
      error: { code: e.code, message: `the turn could not be ${what}: ${e.message}` },
    };
  }
}

function finish(end: TurnEndEvent, tenant: string, spec: TurnSpec, startedAt: number, events: TurnEvents): void {
  if (turnEnd.hasSubscribers) {
    turnEnd.publish({ ...end, tenant, agent: spec.agentName, durationMs: performance.now() - startedAt });
  }
  events.end(end);
}

/**
 * The stored entry for what a turn recorded. The common shapes are built whole, so that the object a hot session keeps
 * has every field in place (an object completed field by field carries a separate property store, about 50 bytes more
 * per entry); rarer ones (interrupted replies, provider state, turn markers, state) are completed in place, which the
 * agent allows (see TurnInput.record).
 */
function stamp(data: EntryData, turnId: string, at: number, seq: number): Entry {
  const v = ENTRY_VERSION;
  switch (data.type) {
    case 'user':
      return { type: 'user', text: data.text, v, turnId, at, seq };
    case 'tool_result': {
      const { callId, name, output } = data;
      return data.isError === true
        ? { type: 'tool_result', callId, name, output, isError: true, v, turnId, at, seq }
        : { type: 'tool_result', callId, name, output, v, turnId, at, seq };
    }
    case 'assistant': {
      if (data.interrupted !== undefined || data.providerState !== undefined) break;
      const { text, toolCalls } = data;
      return toolCalls === undefined
        ? { type: 'assistant', text, v, turnId, at, seq }
        : // A copy of exactly its length: the agent's array was grown by pushes (17 slots for one call).
          { type: 'assistant', text, toolCalls: toolCalls.slice(), v, turnId, at, seq };
    }
  }
  const entry = data as Entry;
  entry.v = v;
  entry.turnId = turnId;
  entry.at = at;
  entry.seq = seq;
  return entry;
}

/**
 * Keeps only the entries a next turn can need: about `window` messages, starting at a turn boundary. True when it
 * replaced `rec.entries` (with a new array of exactly the kept entries).
 */
function trimHot(cache: SessionCache, rec: SessionRecord, window: number): boolean {
  const entries = rec.entries;
  if (entries.length < window * 2 + 32) return false;
  let messages = 0;
  let cut = 0;
  for (let i = entries.length - 1; i >= 0; i--) {
    messages++;
    // A turn's first hot entry is its user message: the cut keeps whole turns.
    if (entries[i]!.type === 'user' && messages >= window) {
      cut = i;
      break;
    }
  }
  if (cut === 0) return false;
  let freed = 0;
  for (let i = 0; i < cut; i++) freed += entryBytes(entries[i]!);
  rec.entries = entries.slice(cut);
  rec.bytes -= freed;
  cache.grew(-freed);
  return true;
}
