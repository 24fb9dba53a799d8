// One attempt's HTTP exchange as an undici dispatch handler. The answer's chunks are decoded as they arrive and the
// events wait in a queue for the caller: no response stream, no async iterator per chunk, no AbortController (the
// dispatch controller aborts the request). While the caller holds events, reading is paused, so a slow caller
// applies backpressure to the provider instead of buffering its answer.
import type { Dispatcher } from 'undici';
import type { ModelEvent } from '../core/index.js';
import type { Decoder } from './decoder.js';
import { flattenHeaders, httpError } from './http-errors.js';
import type { Failure } from './http-errors.js';
import { AttemptTimers } from './timers.js';
import type { ProviderTimeouts } from './types.js';

/** Error bodies are kept for diagnosis, not in full: a proxy's HTML error page can be large. */
export const MAX_ERROR_BODY = 8 * 1024;

type Headers = Parameters<NonNullable<Dispatcher.DispatchHandler['onResponseStart']>>[2];

export class Exchange implements Dispatcher.DispatchHandler {
  readonly startedAt = performance.now();
  /** The answer's HTTP status, once its head arrived. */
  status: number | undefined;
  /** Set when the provider answered with an error status: the attempt's outcome, to retry or not. */
  httpFailure: Failure | undefined;
  readonly #provider: string;
  readonly #signal: AbortSignal;
  readonly #newDecoder: () => Decoder;
  readonly #timers: AttemptTimers;
  #controller: Dispatcher.DispatchController | undefined;
  #decoder: Decoder | undefined;
  #queue: ModelEvent[] = [];
  #head = 0;
  #ended = false;
  /** Why the exchange stopped early: a transport error, a decoder error or an abort reason. */
  #error: unknown = undefined;
  #failed = false;
  #aborted = false;
  #wake: (() => void) | undefined;
  #errorHeaders: Headers | undefined;
  #errorBody: Buffer[] | undefined;
  #errorSize = 0;

  constructor(provider: string, timeouts: ProviderTimeouts, signal: AbortSignal, newDecoder: () => Decoder) {
    this.#provider = provider;
    this.#signal = signal;
    this.#newDecoder = newDecoder;
    this.#timers = new AttemptTimers(provider, timeouts, (reason) => this.abort(reason));
  }

  /** The next decoded event, or undefined when none is queued. */
  next(): ModelEvent | undefined {
    if (this.#head < this.#queue.length) return this.#queue[this.#head++];
    return undefined;
  }

  /** True once the answer is complete and every event was taken. */
  get done(): boolean {
    return this.#ended && this.#head >= this.#queue.length;
  }

  /** True once the exchange failed or was aborted: `check()` throws why. */
  get failed(): boolean {
    return this.#failed;
  }

  /** Throws why the exchange failed (transport or decoder error, timeout, abort), if it did. */
  check(): void {
    if (this.#failed) throw this.#error;
  }

  /** Resolves once more events are queued, or the exchange ended or failed. Resumes reading. */
  more(): Promise<void> {
    this.#queue.length = 0;
    this.#head = 0;
    return new Promise<void>((resolve) => {
      this.#wake = resolve;
      this.#timers.waiting();
      this.#controller?.resume();
    });
  }

  /**
   * Cancels the request at once (the socket is closed); `reason` is what the caller will see thrown, even if the
   * whole answer had arrived: events still queued are not delivered after an abort.
   */
  abort(reason: unknown): void {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#fail(reason);
    if (!this.#ended) this.#controller?.abort(asError(reason));
  }

  /** The caller's signal aborted (the exchange listens to it as an object: no closure per attempt). */
  handleEvent(): void {
    this.abort(this.#signal.reason);
  }

  /** Ends the exchange for good: timers stopped; an unfinished request is cancelled rather than drained. */
  close(): void {
    this.#timers.clear();
    if (!this.#ended && !this.#aborted) {
      this.#aborted = true;
      this.#controller?.abort(new Error('the answer was abandoned'));
    }
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller;
    if (this.#aborted) controller.abort(asError(this.#error));
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number, headers: Headers): void {
    if (statusCode < 200) return;
    this.status = statusCode;
    if (statusCode >= 300) {
      this.#errorHeaders = headers;
      this.#errorBody = [];
    } else {
      this.#decoder = this.#newDecoder();
    }
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.#failed) return;
    const timers = this.#timers;
    timers.chunk();
    if (this.#errorBody !== undefined) {
      this.#errorBody.push(chunk);
      this.#errorSize += chunk.byteLength;
      // Enough to explain the error: the rest of the body is not read.
      if (this.#errorSize >= MAX_ERROR_BODY) this.#endWithHttpError(true);
      else timers.waiting();
      return;
    }
    let events: readonly ModelEvent[];
    try {
      events = this.#decoder!.push(chunk);
    } catch (err) {
      this.abort(err);
      return;
    }
    if (events.length === 0) {
      timers.waiting();
      return;
    }
    for (let i = 0; i < events.length; i++) this.#queue.push(events[i]!);
    // The caller holds these events until it asks for more: no more chunks until then.
    controller.pause();
    this.#notify();
  }

  onResponseEnd(): void {
    if (this.#failed) return;
    this.#timers.clear();
    if (this.#errorBody !== undefined) {
      this.#endWithHttpError(false);
      return;
    }
    this.#ended = true;
    try {
      const last = this.#decoder!.end();
      for (let i = 0; i < last.length; i++) this.#queue.push(last[i]!);
    } catch (err) {
      this.#ended = false;
      this.#fail(err);
    }
    this.#notify();
  }

  onResponseError(_controller: Dispatcher.DispatchController | undefined, err: Error): void {
    this.#timers.clear();
    if (!this.#failed) this.#fail(err);
  }

  #endWithHttpError(cut: boolean): void {
    this.#timers.clear();
    const body = Buffer.concat(this.#errorBody!).subarray(0, MAX_ERROR_BODY).toString('utf8');
    const error = httpError(this.#provider, this.status!, flattenHeaders(this.#errorHeaders ?? {}), body);
    this.httpFailure = { error, retry: error.retryable };
    this.#errorBody = undefined;
    this.#ended = true;
    if (cut) {
      this.#aborted = true;
      this.#controller?.abort(error);
    }
    this.#notify();
  }

  #fail(err: unknown): void {
    this.#failed = true;
    this.#error = err;
    this.#timers.clear();
    this.#notify();
  }

  #notify(): void {
    const wake = this.#wake;
    if (wake === undefined) return;
    this.#wake = undefined;
    wake();
  }
}

/** undici wants an Error; what the caller sees thrown is the reason itself, kept by the exchange. */
function asError(reason: unknown): Error {
  return reason instanceof Error ? reason : new Error(String(reason));
}
