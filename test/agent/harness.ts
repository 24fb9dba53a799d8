import type { EntryData, JSONValue, TurnEndEvent, TurnEvent } from '../../src/core/index.js';
import { createAgent, type AgentDefinition, type Agent } from '../../src/agent/index.js';
import type { SessionState } from '../../src/tools/index.js';

export function agentWith(def: Partial<AgentDefinition> & Pick<AgentDefinition, 'model'>): Agent {
  return createAgent({
    name: 'tester',
    description: 'test agent',
    modelId: 'mock-1',
    instructions: 'You are a test.',
    tools: [],
    maxSteps: 5,
    historyWindow: 50,
    toolTimeoutMs: 5000,
    maxToolOutputBytes: 10_000,
    maxOutputBytes: 1_048_576,
    ...def,
  });
}

export interface TurnRecord {
  events: TurnEvent[];
  entries: EntryData[];
  end: TurnEndEvent;
  state: Map<string, JSONValue>;
}

/**
 * Runs one turn to its end, collecting events and recorded entries. `onEvent` may abort mid-turn. As the runtime does,
 * the user's input is recorded first, by the caller; the rest is what the agent recorded.
 */
export async function runTurn(
  agent: Agent,
  input: string,
  opts: {
    signal?: AbortSignal;
    history?: Parameters<Agent['run']>[0]['history'];
    state?: Map<string, JSONValue>;
    onEvent?: (event: TurnEvent) => void;
    /** Ask for whole answers (default: streamed). */
    stream?: boolean;
  } = {},
): Promise<TurnRecord> {
  const entries: EntryData[] = [{ type: 'user', text: input }];
  const events: TurnEvent[] = [];
  const values = opts.state ?? new Map<string, JSONValue>();
  const state: SessionState = { get: (k) => values.get(k), set: (k, v) => void values.set(k, v) };
  const end = await agent.run(
    {
      sessionId: 'ses_test',
      turnId: 'turn_test',
      input,
      history: opts.history ?? [],
      signal: opts.signal ?? new AbortController().signal,
      state,
      record: (entry) => entries.push(entry),
      ...(opts.stream === undefined ? {} : { stream: opts.stream }),
    },
    (event) => {
      events.push(event);
      opts.onEvent?.(event);
      return undefined;
    },
  );
  return { events, entries, end, state: values };
}

/** A promise with its resolve function, for tools that wait on each other. */
export function latch<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}
