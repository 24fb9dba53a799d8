import type { JSONValue } from '../../src/core/index.js';
import type { SessionState, ToolContext } from '../../src/tools/index.js';

/** A SessionState over a Map that also remembers every `set`, as the session log would. */
export function memoryState(): SessionState & { writes: { key: string; value: JSONValue }[] } {
  const values = new Map<string, JSONValue>();
  const writes: { key: string; value: JSONValue }[] = [];
  return {
    writes,
    get: (key) => values.get(key),
    set: (key, value) => {
      values.set(key, value);
      writes.push({ key, value });
    },
  };
}

export function toolContext(overrides: Partial<ToolContext> = {}): ToolContext {
  return {
    tenant: 'local',
    sessionId: 'ses_test',
    turnId: 'turn_test',
    callId: 'call_test',
    signal: new AbortController().signal,
    turnSignal: new AbortController().signal,
    state: memoryState(),
    progress: () => undefined,
    ...overrides,
  };
}
