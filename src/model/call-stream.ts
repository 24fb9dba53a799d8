// The events of one model call, across its attempts, as an async iterator written out by hand: an event already
// decoded is handed over in a resolved promise, one microtask per event, where an async generator takes several.
// Failed attempts are retried while the caller has seen nothing; once an event was delivered, any failure ends the
// call with an error.
import { abortError } from '../core/index.js';
import type { ModelEvent, SwiftletError } from '../core/index.js';
import type { Decoder } from './decoder.js';
import type { Exchange } from './exchange.js';
import type { Failure } from './http-errors.js';
import { retryDelay, sleep } from './retry.js';
import type { ProviderRetries } from './types.js';

export interface ModelCall {
  /** Path on the provider's origin, query included. */
  path: string;
  headers: Record<string, string>;
  body: string;
  model: string;
  stream: boolean;
}

/** What a call needs from its HTTP layer (one per provider). */
export interface CallTransport {
  readonly retries: ProviderRetries;
  readonly totalMs: number;
  /** Sends attempt number `attempt`; the exchange listens to `signal` until `end` is called for it. */
  start(call: ModelCall, signal: AbortSignal, newDecoder: () => Decoder, attempt: number): Exchange;
  /** Ends an attempt: stops listening, cancels an unfinished request, tells observers. */
  end(call: ModelCall, signal: AbortSignal, exchange: Exchange, attempt: number, error?: SwiftletError): void;
  classify(err: unknown, signal: AbortSignal, yielded: boolean): Failure;
}

const DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });

export class CallStream implements AsyncIterableIterator<ModelEvent, undefined> {
  readonly #transport: CallTransport;
  readonly #call: ModelCall;
  readonly #signal: AbortSignal;
  readonly #newDecoder: () => Decoder;
  readonly #started = performance.now();
  #exchange: Exchange | undefined;
  #attempt = 0;
  #yielded = false;
  #finished = false;

  constructor(transport: CallTransport, call: ModelCall, signal: AbortSignal, newDecoder: () => Decoder) {
    this.#transport = transport;
    this.#call = call;
    this.#signal = signal;
    this.#newDecoder = newDecoder;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<ModelEvent, undefined>> {
    const exchange = this.#exchange;
    if (exchange !== undefined && !exchange.failed) {
      const event = exchange.next();
      if (event !== undefined) {
        this.#yielded = true;
        return Promise.resolve({ done: false, value: event });
      }
    }
    return this.#advance();
  }

  /** The caller stopped early: the attempt in flight is cancelled (its socket closed, not drained). */
  return(): Promise<IteratorResult<ModelEvent, undefined>> {
    if (!this.#finished) {
      this.#finished = true;
      const exchange = this.#exchange;
      this.#exchange = undefined;
      if (exchange !== undefined) this.#transport.end(this.#call, this.#signal, exchange, this.#attempt);
    }
    return Promise.resolve(DONE);
  }

  async #advance(): Promise<IteratorResult<ModelEvent, undefined>> {
    if (this.#finished) return DONE;
    const transport = this.#transport;
    const signal = this.#signal;
    for (;;) {
      // The caller may have returned while this waited.
      if (this.#finished) return DONE;
      let exchange = this.#exchange;
      if (exchange === undefined) {
        if (signal.aborted) this.#fail(abortError(signal));
        exchange = this.#exchange = transport.start(this.#call, signal, this.#newDecoder, this.#attempt);
      }
      let failure: Failure | undefined;
      try {
        // Also after an abort while the caller held an event: nothing more is delivered.
        exchange.check();
        const event = exchange.next();
        if (event !== undefined) {
          this.#yielded = true;
          return { done: false, value: event };
        }
        if (!exchange.done) {
          await exchange.more();
          continue;
        }
        failure = exchange.httpFailure;
      } catch (err) {
        failure = transport.classify(err, signal, this.#yielded);
      }
      this.#exchange = undefined;
      transport.end(this.#call, signal, exchange, this.#attempt, failure?.error);
      if (failure === undefined) {
        this.#finished = true;
        return DONE;
      }
      await this.#retry(failure);
    }
  }

  /** Waits before the next attempt, or ends the call with the failure when it is not worth another. */
  async #retry(failure: Failure): Promise<void> {
    const { retries, totalMs } = this.#transport;
    if (!failure.retry || this.#attempt >= retries.max) this.#fail(failure.error);
    const budgetLeftMs = totalMs - (performance.now() - this.#started);
    const delay = retryDelay(retries, this.#attempt, failure.error.retryAfterMs, budgetLeftMs);
    if (delay === undefined) this.#fail(failure.error);
    try {
      await sleep(delay, this.#signal);
    } catch (err) {
      this.#fail(err);
    }
    this.#attempt++;
  }

  #fail(err: unknown): never {
    this.#finished = true;
    throw err;
  }
}
