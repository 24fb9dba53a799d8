// The deadlines of one attempt (first token, idle, total) on ONE timer, armed for the nearest of them. Moving a
// deadline later (the idle clock restarting at every chunk) only updates a number: the timer fires early, finds
// nothing due and re-arms, at most once per idle period. When a deadline passes, the attempt is aborted with a
// timeout error naming it, which cancels the HTTP request at once.
import { timeoutError } from './http-errors.js';
import type { TimeoutName } from './http-errors.js';
import type { ProviderTimeouts } from './types.js';

function enabled(ms: number): boolean {
  return ms > 0 && Number.isFinite(ms);
}

export class AttemptTimers {
  readonly #provider: string;
  readonly #timeouts: ProviderTimeouts;
  readonly #abort: (reason: unknown) => void;
  #firstTokenAt: number;
  #idleAt = Infinity;
  readonly #totalAt: number;
  #timer: NodeJS.Timeout | undefined;
  /** When the timer fires (Infinity: not armed). */
  #armedAt = Infinity;
  /** True while the caller holds events: time spent there is not the provider's silence. */
  #held = false;
  #cleared = false;

  constructor(provider: string, timeouts: ProviderTimeouts, abort: (reason: unknown) => void) {
    this.#provider = provider;
    this.#timeouts = timeouts;
    this.#abort = abort;
    const now = performance.now();
    this.#firstTokenAt = enabled(timeouts.firstTokenMs) ? now + timeouts.firstTokenMs : Infinity;
    this.#totalAt = enabled(timeouts.totalMs) ? now + timeouts.totalMs : Infinity;
    this.#arm(now);
  }

  /** A chunk of the answer arrived; the caller is about to handle the events it holds. */
  chunk(): void {
    this.#held = true;
    if (this.#firstTokenAt !== Infinity) {
      this.#firstTokenAt = Infinity;
      this.#restartIdle();
    }
  }

  /** Waiting for the provider again: the idle clock restarts now. */
  waiting(): void {
    this.#held = false;
    if (this.#firstTokenAt === Infinity) this.#restartIdle();
  }

  clear(): void {
    this.#cleared = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#armedAt = Infinity;
  }

  #restartIdle(): void {
    const idleMs = this.#timeouts.idleMs;
    if (!enabled(idleMs)) return;
    const now = performance.now();
    this.#idleAt = now + idleMs;
    // While the caller holds events the idle clock does not run; `waiting()` arms it.
    if (!this.#held && this.#idleAt < this.#armedAt) this.#arm(now);
  }

  /** Arms the timer for the nearest deadline still in force. */
  #arm(now: number): void {
    if (this.#cleared) return;
    const at = Math.min(this.#firstTokenAt, this.#totalAt, this.#held ? Infinity : this.#idleAt);
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#armedAt = at;
    if (at === Infinity) return;
    this.#timer = setTimeout(() => this.#fire(), Math.max(1, at - now));
  }

  #fire(): void {
    this.#timer = undefined;
    this.#armedAt = Infinity;
    const now = performance.now();
    const t = this.#timeouts;
    if (this.#totalAt <= now) this.#expire('total', t.totalMs);
    else if (this.#firstTokenAt <= now) this.#expire('first-token', t.firstTokenMs);
    // Passed while the caller was busy: `waiting()` restarts the idle clock.
    else if (this.#idleAt <= now && !this.#held) this.#expire('idle', t.idleMs);
    else this.#arm(now);
  }

  #expire(name: TimeoutName, ms: number): void {
    this.clear();
    this.#abort(timeoutError(this.#provider, name, ms));
  }
}
