import type { EntryData, ToolSpec, TurnEndEvent, TurnEvent } from '../core/index.js';
import type { ModelClient } from '../model/index.js';
import type { SessionState, Tool } from '../tools/index.js';

export interface AgentDefinition {
  name: string;
  description: string;
  model: ModelClient;
  /** The provider's model id, sent with every request. */
  modelId: string;
  /** The system prompt. */
  instructions: string;
  tools: Tool[];
  /** Model calls per turn; a turn whose last allowed call still asks for tools ends as `max_steps`. */
  maxSteps: number;
  temperature?: number;
  maxTokens?: number;
  /** Most message entries (user, assistant, tool results) of history sent to the model. */
  historyWindow: number;
  /** Timeout of a tool call unless the tool sets its own. */
  toolTimeoutMs: number;
  /** A tool's output beyond this many UTF-8 bytes is cut, with a note saying so. */
  maxToolOutputBytes: number;
  /**
   * Most UTF-8 bytes of model output (text and tool-call arguments, all steps together) in one turn. Past it the
   * model request is cancelled and the turn ends `failed` with SWIFTLET_ERR_OUTPUT_TOO_LARGE, keeping what came before.
   */
  maxOutputBytes: number;
}

export interface TurnInput {
  /** The session's tenant (default `local`): tools act for it. */
  tenant?: string;
  sessionId: string;
  turnId: string;
  input: string;
  /**
   * The session's entries before this turn, at least the messages its context window needs (a hot session keeps
   * just those, without their stored fields: seq, turn id, time).
   */
  history: readonly EntryData[];
  /** Aborting it interrupts the turn: the model request is cancelled and running tools get the abort. */
  signal: AbortSignal;
  state: SessionState;
  /**
   * Ask the model for streamed answers (default true). False when nobody watches the turn's events as they happen:
   * the same events still arrive, each answer's at once, and the provider does less work.
   */
  stream?: boolean;
  /**
   * Called with each entry the turn adds, in order, as soon as it is final: each assistant reply (with its toolCalls)
   * and tool results. (turn_start, the user input, state and turn_end are recorded by the caller, before the turn.)
   * The object is handed over: the recorder may keep it as the stored entry, completing it in place (seq, turnId…),
   * and the agent never changes its fields afterwards.
   */
  record(entry: EntryData): void;
}

/**
 * Receives a turn's events as they happen. A returned promise makes the turn wait until it settles (backpressure);
 * `undefined` lets it go on at once.
 */
export type EmitEvent = (event: TurnEvent) => Promise<void> | undefined;

export interface Agent {
  readonly name: string;
  readonly description: string;
  readonly toolSpecs: readonly ToolSpec[];
  /**
   * Runs a turn, handing its text-delta, tool-call, tool-result and step-finish events to `emit` in order; resolves
   * with the turn-end event, which is not emitted. Never rejects: failures end the turn with outcome `failed`.
   */
  run(input: TurnInput, emit: EmitEvent): Promise<TurnEndEvent>;
}
