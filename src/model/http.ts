// The HTTP layer shared by every provider adapter: one undici pool per provider, per-attempt deadlines, retries with
// backoff, and cancellation. `undici`'s dispatcher API is used directly: about half the cost of WHATWG fetch.
import { Pool } from 'undici';
import type { Dispatcher } from 'undici';
import { abortError, SwiftletError } from '../core/index.js';
import type { ModelEvent } from '../core/index.js';
import type { Decoder } from './decoder.js';
import { modelRequestChannel, modelResponseChannel } from './diagnostics.js';
import type { ModelRequestMessage, ModelResponseMessage } from './diagnostics.js';
import { flattenHeaders, httpError, transportFailure } from './http-errors.js';
import type { Failure } from './http-errors.js';
import { retryDelay, sleep } from './retry.js';
import { AttemptTimers } from './timers.js';
import type { ProviderOptions } from './types.js';

/** Error bodies are kept for diagnosis, not in full: a proxy's HTML error page can be large. */
export const MAX_ERROR_BODY = 8 * 1024;

export interface ModelCall {
  /** Path on the provider's origin, query included. */
  path: string;
  headers: Record<string, string>;
  body: string;
  model: string;
  stream: boolean;
}

export class ProviderHttp {
  readonly #options: ProviderOptions;
  readonly #pool: Pool;
  readonly #basePath: string;
  readonly #query: string;

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
  }

  /** `suffix` appended to the base URL's path, e.g. `/chat/completions`. */
  path(suffix: string): string {
    return this.#basePath + suffix + this.#query;
  }

  /**
   * Sends `call` and yields the events `newDecoder()` makes of the answer. Failed attempts are retried while the
   * caller has seen nothing; once an event was yielded, any failure ends the stream with an error.
   */
  async *send(call: ModelCall, signal: AbortSignal, newDecoder: () => Decoder): AsyncGenerator<ModelEvent, void> {
    const { retries, timeouts } = this.#options;
    const started = performance.now();
    for (let attempt = 0; ; attempt++) {
      if (signal.aborted) throw abortError(signal);
      const failure = yield* this.#attempt(call, signal, newDecoder, attempt);
      if (failure === undefined) return;
      if (!failure.retry || attempt >= retries.max) throw failure.error;
      const budgetLeftMs = timeouts.totalMs - (performance.now() - started);
      const delay = retryDelay(retries, attempt, failure.error.retryAfterMs, budgetLeftMs);
      if (delay === undefined) throw failure.error;
      await sleep(delay, signal);
    }
  }

  close(): Promise<void> {
    return this.#pool.destroy();
  }

  async *#attempt(
    call: ModelCall,
    signal: AbortSignal,
    newDecoder: () => Decoder,
    attempt: number,
  ): AsyncGenerator<ModelEvent, Failure | undefined> {
    const provider = this.#options.name;
    // One controller per attempt, fed by the caller's signal and by our timers. A listener removed in `finally`
    // (rather than AbortSignal.any) leaves nothing attached to a long-lived caller signal after the attempt.
    const controller = new AbortController();
    const forward = (): void => controller.abort(signal.reason);
    signal.addEventListener('abort', forward, { once: true });
    const timers = new AttemptTimers(provider, this.#options.timeouts, controller);
    const started = performance.now();
    if (modelRequestChannel.hasSubscribers) {
      modelRequestChannel.publish({
        provider,
        model: call.model,
        attempt,
        stream: call.stream,
      } satisfies ModelRequestMessage);
    }
    let status: number | undefined;
    let yielded = false;
    let done = false;
    let published = false;
    const publish = (error: SwiftletError | undefined): void => {
      published = true;
      this.#publishResponse(call, attempt, started, status, error);
    };
    try {
      const response = await this.#pool.request({
        method: 'POST',
        path: call.path,
        headers: call.headers,
        body: call.body,
        signal: controller.signal,
      });
      status = response.statusCode;
      if (status < 200 || status >= 300) {
        const error = await this.#readError(response, timers);
        done = true;
        publish(error);
        return { error, retry: error.retryable };
      }
      const decoder = newDecoder();
      for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
        timers.chunk();
        const events = decoder.push(chunk);
        for (let i = 0; i < events.length; i++) {
          // The caller may abort while holding an event: stop at once rather than deliver the rest of the chunk.
          if (controller.signal.aborted) throw controller.signal.reason;
          yielded = true;
          yield events[i]!;
        }
        timers.waiting();
      }
      timers.clear();
      done = true;
      const last = decoder.end();
      for (let i = 0; i < last.length; i++) {
        if (controller.signal.aborted) throw controller.signal.reason;
        yielded = true;
        yield last[i]!;
      }
      publish(undefined);
      return undefined;
    } catch (err) {
      const failure = this.#classify(err, signal, controller.signal, yielded);
      publish(failure.error);
      return failure;
    } finally {
      timers.clear();
      signal.removeEventListener('abort', forward);
      // Covers early exits (the caller stopped iterating, the decoder threw): the socket is closed, not drained.
      if (!done) controller.abort();
      // The caller stopped iterating: the attempt still ends for observers.
      if (!published) publish(undefined);
    }
  }

  #classify(err: unknown, signal: AbortSignal, attemptSignal: AbortSignal, yielded: boolean): Failure {
    if (signal.aborted) return { error: abortError(signal), retry: false };
    const reason: unknown = attemptSignal.reason;
    if (attemptSignal.aborted && SwiftletError.isInstance(reason)) return { error: reason, retry: false };
    if (SwiftletError.isInstance(err)) return { error: err, retry: false };
    return transportFailure(this.#options.name, err, yielded, this.#options.timeouts.connectMs);
  }

  async #readError(response: Dispatcher.ResponseData, timers: AttemptTimers): Promise<SwiftletError> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of response.body as AsyncIterable<Buffer>) {
      timers.chunk();
      chunks.push(chunk);
      size += chunk.byteLength;
      if (size >= MAX_ERROR_BODY) break; // leaving the loop destroys the rest of the body
      timers.waiting();
    }
    const body = Buffer.concat(chunks).subarray(0, MAX_ERROR_BODY).toString('utf8');
    return httpError(this.#options.name, response.statusCode, flattenHeaders(response.headers), body);
  }

  #publishResponse(
    call: ModelCall,
    attempt: number,
    started: number,
    status: number | undefined,
    error: SwiftletError | undefined,
  ): void {
    if (!modelResponseChannel.hasSubscribers) return;
    const message: ModelResponseMessage = {
      provider: this.#options.name,
      model: call.model,
      durationMs: performance.now() - started,
      attempt,
      ...(status === undefined ? {} : { status }),
      ...(error === undefined ? {} : { error }),
    };
    modelResponseChannel.publish(message);
  }
}
