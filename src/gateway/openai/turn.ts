// One turn for an OpenAI-compatible request: admission, the runtime call, and the text the client sees.
import {
  ERROR_CODES,
  STEP_SEPARATOR,
  SwiftletError,
  type Entry,
  type ErrorCode,
  type TurnEndEvent,
} from '../../core/index.js';
import type { RequestCtx } from '../http.js';
import type { GatewayContext } from '../types.js';

export interface TurnSpec {
  agent: string;
  input: string;
  /** A stored session to continue; absent with `history` for a stateless turn, absent for a new session otherwise. */
  sessionId?: string;
  history?: Entry[];
}

export interface TurnHooks {
  /**
   * Called once, at the first sign of output (text or a tool call), before the first `text`: a streaming answer
   * starts here, so a turn that fails before saying anything still gets a plain HTTP error.
   */
  open?(sessionId: string, turnId: string): Promise<void> | void;
  /** A piece of the answer; a returned promise holds the turn back until the client has taken it. */
  text?(piece: string): Promise<void> | undefined;
}

export interface TurnOutput {
  sessionId: string;
  turnId: string;
  /** The text of every step of the turn, steps separated by a blank line: the turn-end event's `text`, as streamed. */
  text: string;
  end: TurnEndEvent;
  opened: boolean;
}

/** Runs a turn to its end. Throws what the runtime throws at once (bad input, a busy session, shutting down). */
export async function runTurn(
  ctx: GatewayContext,
  rc: RequestCtx,
  spec: TurnSpec,
  hooks: TurnHooks,
): Promise<TurnOutput> {
  const release = ctx.admitTurn(rc.caller, spec.agent);
  try {
    const allowed = rc.caller.key?.agents;
    const run = ctx.runtime.run({
      tenant: rc.caller.tenant,
      agent: spec.agent,
      input: spec.input,
      signal: rc.signal,
      // A stream answers before the turn ends: its start and input are stored first. A whole answer comes at the end.
      acknowledgeStart: hooks.open !== undefined,
      ...(allowed === undefined ? {} : { allowedAgents: allowed }),
      ...(spec.sessionId === undefined ? {} : { sessionId: spec.sessionId }),
      ...(spec.history === undefined ? {} : { ephemeral: { history: spec.history } }),
    });
    const out = { sessionId: run.sessionId, turnId: run.turnId, text: '', opened: false };
    const open = (): Promise<void> | void => {
      if (out.opened) return;
      out.opened = true;
      return hooks.open?.(run.sessionId, run.turnId);
    };
    let textStep = 0;
    for await (const event of run) {
      if (event.type === 'text-delta') {
        if (event.text === '') continue;
        await open();
        const piece = textStep !== 0 && event.step !== textStep ? STEP_SEPARATOR + event.text : event.text;
        textStep = event.step;
        out.text += piece;
        const wait = hooks.text?.(piece);
        if (wait) await wait;
      } else if (event.type === 'tool-call') {
        await open();
      } else if (event.type === 'turn-end') {
        return { ...out, end: event };
      }
    }
    throw new SwiftletError('SWIFTLET_ERR_INTERNAL', 'the turn ended without a terminal event');
  } finally {
    release();
  }
}

/** The error a turn that did not answer ends with (failed, or interrupted while the client still waits). */
export function turnError(end: TurnEndEvent): SwiftletError | undefined {
  if (end.outcome === 'final' || end.outcome === 'max_steps') return undefined;
  const code = end.error?.code;
  const known: ErrorCode =
    code !== undefined && code in ERROR_CODES
      ? (code as ErrorCode)
      : end.outcome === 'interrupted'
        ? 'SWIFTLET_ERR_ABORTED'
        : 'SWIFTLET_ERR_INTERNAL';
  const message =
    end.error?.message ?? (end.outcome === 'interrupted' ? 'the turn was interrupted' : 'the turn failed');
  return new SwiftletError(known, message);
}

export function usageOf(end: TurnEndEvent): { prompt_tokens: number; completion_tokens: number; total_tokens: number } {
  const { inputTokens, outputTokens } = end.usage;
  return { prompt_tokens: inputTokens, completion_tokens: outputTokens, total_tokens: inputTokens + outputTokens };
}
