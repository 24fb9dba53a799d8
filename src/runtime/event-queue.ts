import type { TurnEndEvent, TurnEvent } from '../core/index.js';

const HIGH_WATER = 256;

/**
 * The events of one turn, as an async iterable with its final result. Bounded: once a reader is attached, the
 * producer waits when HIGH_WATER events are unread (backpressure). A caller that only awaits `result` never
 * attaches a reader, and then events are not kept at all.
 */
export class TurnEvents implements AsyncIterable<TurnEvent> {
  #buffer: TurnEvent[] = [];
  #head = 0;
  #done = false;
  #error: unknown = undefined;
  #reader: (() => void) | undefined;
  #space: (() => void) | undefined;
  #attached = false;
  #resultOnly = false;
  #resolveResult!: (e: TurnEndEvent) => void;
  #rejectResult!: (err: unknown) => void;
  readonly result: Promise<TurnEndEvent>;

  constructor() {
    this.result = new Promise<TurnEndEvent>((resolve, reject) => {
      this.#resolveResult = resolve;
      this.#rejectResult = reject;
    });
    // A rejected result nobody awaits must not crash the process; readers still see the error.
    this.result.catch(() => undefined);
  }

  /** Marks that the caller will only await `result`: events are discarded from now on. */
  ignoreEvents(): void {
    if (!this.#attached) this.#resultOnly = true;
  }

  /** True while nobody reads the events as they happen: the caller only awaits `result`. */
  get resultOnly(): boolean {
    return this.#resultOnly;
  }

  /** Adds an event; resolves when there is room again (immediately unless a slow reader is attached). */
  push(event: TurnEvent): Promise<void> | undefined {
    if (this.#resultOnly || this.#done) return undefined;
    this.#buffer.push(event);
    this.#wake();
    if (this.#attached && this.#buffer.length - this.#head >= HIGH_WATER) {
      return new Promise<void>((resolve) => (this.#space = resolve));
    }
    return undefined;
  }

  end(final: TurnEndEvent): void {
    if (this.#done) return;
    if (!this.#resultOnly) this.#buffer.push(final);
    this.#done = true;
    this.#resolveResult(final);
    this.#wake();
  }

  fail(err: unknown): void {
    if (this.#done) return;
    this.#done = true;
    this.#error = err;
    this.#rejectResult(err);
    this.#wake();
  }

  #wake(): void {
    const r = this.#reader;
    this.#reader = undefined;
    r?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<TurnEvent> {
    this.#attached = true;
    this.#resultOnly = false;
    for (;;) {
      if (this.#head < this.#buffer.length) {
        const event = this.#buffer[this.#head++]!;
        if (this.#head > 1024 && this.#head * 2 > this.#buffer.length) {
          this.#buffer = this.#buffer.slice(this.#head);
          this.#head = 0;
        }
        if (this.#space && this.#buffer.length - this.#head < HIGH_WATER / 2) {
          const s = this.#space;
          this.#space = undefined;
          s();
        }
        yield event;
        continue;
      }
      if (this.#done) {
        if (this.#error !== undefined) throw this.#error;
        return;
      }
      await new Promise<void>((resolve) => (this.#reader = resolve));
    }
  }
}
