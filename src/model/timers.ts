// The deadlines of one attempt. Three timers at most, whatever the answer's length: the idle timer is re-armed with
// `refresh()` between chunks instead of being replaced. When one fires it aborts the attempt's controller with a
// timeout error naming itself, which cancels the HTTP request at once.
import { timeoutError } from './http-errors.js';
import type { TimeoutName } from './http-errors.js';
import type { ProviderTimeouts } from './types.js';

function enabled(ms: number): boolean {
  return ms > 0 && Number.isFinite(ms);
}

export class AttemptTimers {
  readonly #provider: string;
  readonly #timeouts: ProviderTimeouts;
  readonly #controller: AbortController;
  #firstToken: NodeJS.Timeout | undefined;
  #idle: NodeJS.Timeout | undefined;
  #total: NodeJS.Timeout | undefined;
  /** True while the caller holds an event: time spent there is not the provider's silence. */
  #held = false;

  constructor(provider: string, timeouts: ProviderTimeouts, controller: AbortController) {
    this.#provider = provider;
    this.#timeouts = timeouts;
    this.#controller = controller;
    if (enabled(timeouts.firstTokenMs)) {
      this.#firstToken = setTimeout(() => this.#fire('first-token', timeouts.firstTokenMs), timeouts.firstTokenMs);
    }
    if (enabled(timeouts.totalMs)) {
      this.#total = setTimeout(() => this.#fire('total', timeouts.totalMs), timeouts.totalMs);
    }
  }

  /** A chunk of the answer arrived; the caller is about to handle the events it holds. */
  chunk(): void {
    this.#held = true;
    if (this.#firstToken !== undefined) {
      clearTimeout(this.#firstToken);
      this.#firstToken = undefined;
      const idleMs = this.#timeouts.idleMs;
      if (enabled(idleMs)) this.#idle = setTimeout(() => this.#onIdle(), idleMs);
    }
  }

  /** Waiting for the provider again: the idle clock restarts now. */
  waiting(): void {
    this.#held = false;
    this.#idle?.refresh();
  }

  clear(): void {
    clearTimeout(this.#firstToken);
    clearTimeout(this.#idle);
    clearTimeout(this.#total);
  }

  #onIdle(): void {
    // Fired while the caller was busy: `waiting()` will re-arm it (refresh restarts a timer that has fired).
    if (!this.#held) this.#fire('idle', this.#timeouts.idleMs);
  }

  #fire(name: TimeoutName, ms: number): void {
    this.#controller.abort(timeoutError(this.#provider, name, ms));
  }
}
