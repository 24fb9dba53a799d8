import type { JSONSchema, JSONValue } from '../core/index.js';

/** The session's small key/value state, kept in the session log (`state` entries) and so surviving restarts. */
export interface SessionState {
  get(key: string): JSONValue | undefined;
  /** Records a new value; it is persisted with the turn's other entries. */
  set(key: string, value: JSONValue): void;
}

export interface ToolContext {
  /** The tenant of the session the call runs in: whatever the tool reads or writes belongs to it. */
  tenant: string;
  sessionId: string;
  turnId: string;
  callId: string;
  /** Aborted on interrupt or when the tool's timeout expires. */
  signal: AbortSignal;
  /** The turn's own signal: aborted when the turn is interrupted, even after this call ended. */
  turnSignal: AbortSignal;
  state: SessionState;
  /**
   * Reports the call's progress while it runs (a command's output as it comes, say): a `tool-progress` turn event
   * that streaming clients see. Not recorded in the session; the call's result is what the model reads.
   */
  progress(update: ToolProgress): void;
}

export interface ToolProgress {
  text: string;
  /** Where the text came from, for a tool with several outputs (`stdout`, `stderr`). */
  stream?: string;
}

export type ParseResult<T> = { ok: true; value: T } | { ok: false; error: string };

export interface Tool<I = unknown, O = unknown> {
  name: string;
  description: string;
  /** JSON Schema of the input object, sent to the model. */
  input: JSONSchema;
  /** Checks raw (JSON-parsed) arguments against the schema; the error text goes back to the model. */
  parse(raw: unknown): ParseResult<I>;
  /** Per-tool timeout; the agent's default applies when absent. */
  timeoutMs?: number;
  run(input: I, ctx: ToolContext): Promise<O>;
}
