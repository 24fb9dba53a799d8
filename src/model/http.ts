// The HTTP layer shared by every provider adapter: one undici pool per provider, per-attempt deadlines, retries with
// backoff, and cancellation. `undici`'s dispatcher API is used directly: about half the cost of WHATWG fetch.
// Only undici's Pool (with its client and connector), not the package's index: that would load fetch, WebSocket,
// caches and mocks at every start (measured: ~50 ms unbundled, ~15 ms of a bundled start-up). undici is bundled at
// a locked version, so the internal path cannot move under us; test/cli/bundle.test.ts runs the built bundle.
import Pool from 'undici/lib/dispatcher/pool.js';
import type { Pool as PoolType } from 'undici';
import { abortError, SwiftletError } from '../core/index.js';
import type { ModelEvent } from '../core/index.js';
import { CallStream } from './call-stream.js';
import type { CallTransport, ModelCall } from './call-stream.js';
import type { Decoder } from './decoder.js';
import { modelRequestChannel, modelResponseChannel } from './diagnostics.js';
import type { ModelRequestMessage, ModelResponseMessage } from './diagnostics.js';
import { Exchange } from './exchange.js';
import { transportFailure } from './http-errors.js';
import type { Failure } from './http-errors.js';
import type { ProviderOptions } from './types.js';

export type { ModelCall } from './call-stream.js';

export class ProviderHttp {
  readonly #options: ProviderOptions;
  readonly #pool: PoolType;
  readonly #basePath: string;
  readonly #query: string;
  readonly #transport: CallTransport;

  constructor(options: ProviderOptions) {
    const url = new URL(options.baseUrl);
    this.#options = options;
    this.#basePath = url.pathname.replace(/\/+$/, '');
    this.#query = url.search;
    this.#pool = new Pool(url.origin, {
      connections: options.maxConnections,
      keepAliveTimeout: 10_000,
      keepAliveMaxTimeout: 60_000,
      // Our own timers enforce the first-token/idle/total deadlines with errors that name them.
      headersTimeout: 0,
      bodyTimeout: 0,
      connect: { timeout: options.timeouts.connectMs },
    });
    this.#transport = {
      retries: options.retries,
      totalMs: options.timeouts.totalMs,
      start: (call, signal, newDecoder, attempt) => this.#dispatch(call, signal, newDecoder, attempt),
      end: (call, signal, exchange, attempt, error) => {
        signal.removeEventListener('abort', exchange);
        // Covers early exits (the caller stopped iterating): the socket is closed, not drained.
        exchange.close();
        // Published also when the caller stopped iterating: the attempt still ends for observers.
        this.#publishResponse(call, attempt, exchange, error);
      },
      classify: (err, signal, yielded) => this.#classify(err, signal, yielded),
    };
  }

  /** `suffix` appended to the base URL's path, e.g. `/chat/completions`. */
  path(suffix: string): string {
    return this.#basePath + suffix + this.#query;
  }

  /**
   * Sends `call`; iterating the result yields the events `newDecoder()` makes of the answer. Failed attempts are
   * retried while the caller has seen nothing; once an event was delivered, any failure ends it with an error.
   */
  send(call: ModelCall, signal: AbortSignal, newDecoder: () => Decoder): AsyncIterableIterator<ModelEvent, undefined> {
    return new CallStream(this.#transport, call, signal, newDecoder);
  }

  close(): Promise<void> {
    return this.#pool.destroy();
  }

  /** Starts one attempt: the request goes out, the caller's signal aborts it (removed by the caller afterwards). */
  #dispatch(call: ModelCall, signal: AbortSignal, newDecoder: () => Decoder, attempt: number): Exchange {
    const provider = this.#options.name;
    const exchange = new Exchange(provider, this.#options.timeouts, signal, newDecoder);
    signal.addEventListener('abort', exchange);
    if (modelRequestChannel.hasSubscribers) {
      modelRequestChannel.publish({
        provider,
        model: call.model,
        attempt,
        stream: call.stream,
      } satisfies ModelRequestMessage);
    }
    this.#pool.dispatch({ method: 'POST', path: call.path, headers: call.headers, body: call.body }, exchange);
    return exchange;
  }

  #classify(err: unknown, signal: AbortSignal, yielded: boolean): Failure {
    if (signal.aborted) return { error: abortError(signal), retry: false };
    // Our own timeouts and the decoders' verdicts on a broken answer: another attempt would not help.
    if (SwiftletError.isInstance(err)) return { error: err, retry: false };
    return transportFailure(this.#options.name, err, yielded, this.#options.timeouts.connectMs);
  }

  #publishResponse(call: ModelCall, attempt: number, exchange: Exchange, error: SwiftletError | undefined): void {
    if (!modelResponseChannel.hasSubscribers) return;
    const status = exchange.status;
    const message: ModelResponseMessage = {
      provider: this.#options.name,
      model: call.model,
      durationMs: performance.now() - exchange.startedAt,
      attempt,
      ...(status === undefined ? {} : { status }),
      ...(error === undefined ? {} : { error }),
    };
    modelResponseChannel.publish(message);
  }
}
