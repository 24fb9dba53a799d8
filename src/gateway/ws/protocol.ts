// The /v1/ws message protocol: JSON text frames, described in docs/websocket.md. Client messages are checked here,
// once, at the edge; server frames are built as strings so an event is serialised exactly once.
import { SwiftletError, isValidSessionId, toSwiftletError, type TurnEndEvent } from '../../core/index.js';
import { parseJson } from '../json.js';

/** A client's correlation id, echoed on every frame about the request it names. */
export type ClientId = string | number;

export interface TurnMessage {
  type: 'turn';
  id: ClientId;
  sessionId?: string;
  agent?: string;
  input: string;
  /** Interrupt this turn if the socket closes before it ends (default: the turn runs to completion). */
  interruptOnClose: boolean;
}

export interface InterruptMessage {
  type: 'interrupt';
  id?: ClientId;
  sessionId: string;
}

export interface PingMessage {
  type: 'ping';
  id?: ClientId;
}

export type ClientMessage = TurnMessage | InterruptMessage | PingMessage;

export type Parsed = { ok: true; msg: ClientMessage } | { ok: false; id?: ClientId; error: SwiftletError };

const MAX_ID_CHARS = 128;

function invalid(message: string, field?: string): SwiftletError {
  return new SwiftletError('SWIFTLET_ERR_INVALID_INPUT', message, field === undefined ? {} : { field });
}

function readId(v: unknown, required: boolean): ClientId | undefined | SwiftletError {
  if (v === undefined && !required) return undefined;
  if (typeof v === 'string' && v.length > 0 && v.length <= MAX_ID_CHARS) return v;
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  return invalid(`id: expected a string of 1-${MAX_ID_CHARS} characters or a number`, 'id');
}

function optionalString(o: Record<string, unknown>, key: string): string | undefined | SwiftletError {
  const v = o[key];
  if (v === undefined || typeof v === 'string') return v;
  return invalid(`${key}: expected a string`, key);
}

function sessionIdOf(v: unknown, required: boolean): string | undefined | SwiftletError {
  if (v === undefined && !required) return undefined;
  if (typeof v === 'string' && isValidSessionId(v)) return v;
  return invalid('sessionId: 1-128 characters of letters, digits, "_", "-", ".", ":"', 'sessionId');
}

/** Checks one text frame. A bad message yields the error to answer with, and its id when one could be read. */
export function parseClientMessage(text: string): Parsed {
  let data: unknown;
  try {
    data = parseJson(text, 'message');
  } catch (err) {
    return { ok: false, error: err as SwiftletError };
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    return { ok: false, error: invalid('expected a JSON object with a "type"') };
  }
  const o = data as Record<string, unknown>;
  const loose = readId(o.id, false);
  const id = SwiftletError.isInstance(loose) ? undefined : loose;
  const fail = (error: SwiftletError): Parsed => (id === undefined ? { ok: false, error } : { ok: false, id, error });
  switch (o.type) {
    case 'turn': {
      const turnId = readId(o.id, true);
      const sessionId = sessionIdOf(o.sessionId, false);
      const agent = optionalString(o, 'agent');
      for (const v of [turnId, sessionId, agent]) if (SwiftletError.isInstance(v)) return fail(v);
      if (typeof o.input !== 'string') return fail(invalid('input: expected a string', 'input'));
      if (o.interruptOnClose !== undefined && typeof o.interruptOnClose !== 'boolean') {
        return fail(invalid('interruptOnClose: expected a boolean', 'interruptOnClose'));
      }
      const msg: TurnMessage = {
        type: 'turn',
        id: turnId as ClientId,
        input: o.input,
        interruptOnClose: o.interruptOnClose === true,
        ...(sessionId === undefined ? {} : { sessionId: sessionId as string }),
        ...(agent === undefined ? {} : { agent: agent as string }),
      };
      return { ok: true, msg };
    }
    case 'interrupt': {
      if (SwiftletError.isInstance(loose)) return fail(loose);
      const sessionId = sessionIdOf(o.sessionId, true);
      if (SwiftletError.isInstance(sessionId)) return fail(sessionId);
      return {
        ok: true,
        msg: { type: 'interrupt', sessionId: sessionId as string, ...(id === undefined ? {} : { id }) },
      };
    }
    case 'ping':
      if (SwiftletError.isInstance(loose)) return fail(loose);
      return { ok: true, msg: { type: 'ping', ...(id === undefined ? {} : { id }) } };
    default:
      return fail(
        invalid(
          typeof o.type === 'string'
            ? `unknown message type "${o.type.slice(0, 64)}" (expected turn, interrupt or ping)`
            : 'type: expected "turn", "interrupt" or "ping"',
          'type',
        ),
      );
  }
}

// --- server frames --------------------------------------------------------------------------------------------------

export function acceptedFrame(id: ClientId, sessionId: string, turnId: string): string {
  return JSON.stringify({ type: 'turn-accepted', id, sessionId, turnId });
}

/** The `error` answer to a turn that ended before it started: never accepted, so no events either. */
export function notStartedFrame(id: ClientId, end: TurnEndEvent): string {
  const code = end.error?.code ?? (end.outcome === 'interrupted' ? 'SWIFTLET_ERR_ABORTED' : 'SWIFTLET_ERR_INTERNAL');
  const message = end.error?.message ?? `the turn ended (${end.outcome}) before it started`;
  return JSON.stringify({ type: 'error', id, error: { code, message } });
}

/** The text before a serialised TurnEvent in its frame; the frame is `prefix + JSON.stringify(event) + '}'`. */
export function eventPrefix(id: ClientId, sessionId: string): string {
  return `{"type":"event","id":${JSON.stringify(id)},"sessionId":${JSON.stringify(sessionId)},"event":`;
}

export function interruptFrame(id: ClientId | undefined, sessionId: string, interrupted: boolean): string {
  return JSON.stringify({ type: 'interrupt-result', ...(id === undefined ? {} : { id }), sessionId, interrupted });
}

export function pongFrame(id: ClientId | undefined): string {
  return id === undefined ? '{"type":"pong"}' : JSON.stringify({ type: 'pong', id });
}

/** `{type:'error', id?, error:{code,message,field?,retryAfterMs?}}`; internal details never reach the client. */
export function errorFrame(err: unknown, id?: ClientId): string {
  const e = toSwiftletError(err);
  const error = {
    code: e.code,
    message: e.code === 'SWIFTLET_ERR_INTERNAL' ? 'internal error' : e.message,
    ...(e.field === undefined ? {} : { field: e.field }),
    ...(e.retryAfterMs === undefined ? {} : { retryAfterMs: e.retryAfterMs }),
  };
  return JSON.stringify({ type: 'error', ...(id === undefined ? {} : { id }), error });
}
