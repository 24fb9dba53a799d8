// A provider's answer body as a state machine: chunks in, model events out. Synchronous on purpose, so the HTTP loop
// feeds chunks without another async iterator layer per chunk.
import { SwiftletError } from '../core/index.js';
import type { FinishReason, ModelEvent } from '../core/index.js';

export interface Decoder {
  /** Takes one chunk of the body; returns the events it completes (possibly none). */
  push(chunk: Uint8Array): readonly ModelEvent[];
  /** The body ended; returns the closing events (ending with `finish`), or throws if the answer is incomplete. */
  end(): readonly ModelEvent[];
}

/** Largest non-streamed answer body accepted; a larger one is a broken or hostile provider. */
export const MAX_JSON_BODY = 32 * 1024 * 1024;

const NO_EVENTS: readonly ModelEvent[] = Object.freeze([]);

/** Collects a whole JSON answer (non-streaming requests) and maps it to events at the end. */
export class JsonDecoder implements Decoder {
  readonly #provider: string;
  readonly #map: (body: unknown) => ModelEvent[];
  readonly #chunks: Uint8Array[] = [];
  #size = 0;

  constructor(provider: string, map: (body: unknown) => ModelEvent[]) {
    this.#provider = provider;
    this.#map = map;
  }

  push(chunk: Uint8Array): readonly ModelEvent[] {
    this.#size += chunk.byteLength;
    if (this.#size > MAX_JSON_BODY) {
      throw new SwiftletError(
        'SWIFTLET_ERR_MODEL_RESPONSE',
        `${this.#provider}: answer larger than ${MAX_JSON_BODY} bytes`,
      );
    }
    this.#chunks.push(chunk);
    return NO_EVENTS;
  }

  end(): readonly ModelEvent[] {
    const chunks = this.#chunks;
    // A small answer comes in one chunk: decoded as it is, not copied first.
    const one = chunks.length === 1 ? chunks[0]! : undefined;
    const text =
      one !== undefined && Buffer.isBuffer(one) ? one.toString('utf8') : Buffer.concat(chunks).toString('utf8');
    return this.#map(parseJson(this.#provider, text));
  }
}

export function parseJson(provider: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    // The text stays off the message (it reaches clients), on the error's body for observers.
    throw new SwiftletError('SWIFTLET_ERR_MODEL_RESPONSE', `${provider}: answer is not valid JSON`, {
      cause: err,
      body: text.slice(0, MAX_ERROR_TEXT),
    });
  }
}

export function badAnswer(provider: string, what: string): SwiftletError {
  return new SwiftletError('SWIFTLET_ERR_MODEL_RESPONSE', `${provider}: ${what}`);
}

/** Provider text kept on an error's body for observers, at most. */
const MAX_ERROR_TEXT = 8 * 1024;

/**
 * An error the provider reported inside an answer (an `error` stream event or error object). Like an HTTP error,
 * its message carries no provider text, only the error's type when it is a plain identifier (`overloaded_error`);
 * the provider's object is the error's body.
 */
export function providerAnswerError(provider: string, error: unknown): SwiftletError {
  const type = (error as { type?: unknown } | undefined)?.type;
  const kind = typeof type === 'string' && /^[a-z_]{1,40}$/.test(type) ? ` (${type})` : '';
  const body = JSON.stringify(error ?? null).slice(0, MAX_ERROR_TEXT);
  return new SwiftletError('SWIFTLET_ERR_MODEL_RESPONSE', `${provider}: provider error in the answer${kind}`, { body });
}

/** Tools without parameters: some providers send no argument text at all; the tool expects an object. */
export function argumentsText(text: string): string {
  return text === '' ? '{}' : text;
}

/** A model that asked for tools has finished for tool calls, whatever some servers put in `finish_reason`. */
export function withToolCalls(reason: FinishReason, toolCalls: number): FinishReason {
  return toolCalls > 0 && reason === 'stop' ? 'tool_calls' : reason;
}
