// Swiftlet's data types. No I/O here: every other folder builds on these shapes.

/** A JSON Schema object (draft 2020-12 subset), as sent to providers for tool parameters. */
export type JSONSchema = { [key: string]: unknown };

export type JSONValue = string | number | boolean | null | JSONValue[] | { [key: string]: JSONValue };

// ---------------------------------------------------------------------------------------------------------------
// Model-facing messages (what a ModelClient receives)

export interface ToolCall {
  /** Provider-assigned id (OpenAI `call_…`, Anthropic `toolu_…`), echoed back with the result. */
  id: string;
  name: string;
  /** The arguments exactly as the model produced them: a JSON text, possibly invalid. */
  arguments: string;
}

export type ModelMessage =
  | { role: 'user'; content: string }
  | { role: 'assistant'; content: string; toolCalls?: ToolCall[]; providerState?: JSONValue }
  | { role: 'tool'; callId: string; name: string; content: string; isError?: boolean };

export interface ToolSpec {
  name: string;
  description: string;
  /** JSON Schema of the tool's input object. */
  parameters: JSONSchema;
}

export interface ModelRequest {
  /** Provider's model id (the part after `provider/` in the agent config). */
  model: string;
  system?: string;
  messages: ModelMessage[];
  tools?: ToolSpec[];
  temperature?: number;
  maxTokens?: number;
  /** Ask for a streamed answer (default true). Non-streaming clients still yield the same events. */
  stream?: boolean;
}

export interface Usage {
  inputTokens: number;
  outputTokens: number;
}

export type FinishReason = 'stop' | 'tool_calls' | 'length' | 'content_filter' | 'other';

export type ModelEvent =
  | { type: 'text-delta'; text: string }
  /** A streamed fragment of a tool call's arguments; `index` orders parallel calls. */
  | { type: 'tool-call-delta'; index: number; id?: string; name?: string; argumentsDelta: string }
  /** A complete tool call, emitted once its arguments are complete. */
  | { type: 'tool-call'; call: ToolCall }
  | { type: 'usage'; usage: Usage }
  /** Always the last event of a successful stream. `providerState` is opaque continuation data kept with the reply. */
  | { type: 'finish'; reason: FinishReason; providerState?: JSONValue };

// ---------------------------------------------------------------------------------------------------------------
// The session log: an append-only list of entries. Every persisted entry carries a format version `v`.

export const ENTRY_VERSION = 1;

export type TurnOutcome = 'final' | 'interrupted' | 'failed' | 'max_steps';

export interface ErrorPayload {
  code: string;
  message: string;
}

export type EntryData =
  | { type: 'turn_start'; agent: string }
  | { type: 'user'; text: string }
  | {
      type: 'assistant';
      text: string;
      toolCalls?: ToolCall[];
      /** The reply was cut short by an interrupt or a failure; `text` is what had streamed. */
      interrupted?: boolean;
      providerState?: JSONValue;
    }
  | { type: 'tool_result'; callId: string; name: string; output: string; isError?: boolean }
  /** A value of the session's small key/value state (the todo list lives under `todo`). Last one wins. */
  | { type: 'state'; key: string; value: JSONValue }
  | { type: 'turn_end'; outcome: TurnOutcome; usage: Usage; error?: ErrorPayload; steps: number };

export type EntryType = EntryData['type'];

/** An entry as produced by a turn, before the store assigns it a sequence number. */
export type NewEntry = EntryData & { v: number; turnId: string; at: number };

/** An entry as stored: `seq` is its position in the session's log, starting at 1, assigned by the runtime. */
export type Entry = NewEntry & { seq: number };

// ---------------------------------------------------------------------------------------------------------------
// Turn events (what runtime.run streams to its caller)

export type TurnEvent =
  | { type: 'turn-start'; turnId: string; sessionId: string; agent: string }
  | { type: 'text-delta'; turnId: string; step: number; text: string }
  | { type: 'tool-call'; turnId: string; step: number; call: ToolCall }
  | {
      type: 'tool-result';
      turnId: string;
      step: number;
      callId: string;
      name: string;
      output: string;
      isError: boolean;
    }
  | {
      /** A running tool's progress (a command's output as it comes); streamed to clients, not recorded. */
      type: 'tool-progress';
      turnId: string;
      step: number;
      callId: string;
      name: string;
      text: string;
      stream?: string;
    }
  | { type: 'step-finish'; turnId: string; step: number; finishReason: FinishReason; usage: Usage }
  | {
      type: 'turn-end';
      turnId: string;
      sessionId: string;
      outcome: TurnOutcome;
      /**
       * The text of every step of the turn (the words before a tool call, then the answer after it), joined by
       * STEP_SEPARATOR; steps without text add nothing. Partial when the turn was cut short.
       */
      text: string;
      usage: Usage;
      steps: number;
      error?: ErrorPayload;
    };

export type TurnEndEvent = Extract<TurnEvent, { type: 'turn-end' }>;

/** Separates the text of two model steps in a turn's text: a blank line. */
export const STEP_SEPARATOR = '\n\n';

// ---------------------------------------------------------------------------------------------------------------
// Sessions

export interface SessionInfo {
  /** The tenant that owns the session; `(tenant, id)` is its identity. */
  tenant: string;
  id: string;
  agent: string;
  createdAt: number;
  updatedAt: number;
  /** Seq of the last entry in the log (0 for an empty session). Seqs only grow; pruning leaves gaps at the front. */
  lastSeq: number;
  /** Id of a turn that started and has not ended (set by `turn_start`, cleared by `turn_end`). */
  openTurn?: string;
  /**
   * The session's first user message, whitespace collapsed and cut to 80 characters ("…" marks a cut). Set by the
   * store with that message, never changed; absent before it, and for sessions stored before titles existed.
   */
  title?: string;
  metadata: { [key: string]: JSONValue };
}

export interface TodoItem {
  id: number;
  text: string;
  status: 'pending' | 'in_progress' | 'done';
}

export function emptyUsage(): Usage {
  return { inputTokens: 0, outputTokens: 0 };
}

export function addUsage(a: Usage, b: Usage): Usage {
  return { inputTokens: a.inputTokens + b.inputTokens, outputTokens: a.outputTokens + b.outputTokens };
}
