// `waitFor`: predicates re-checked against each record as it changes, so tests wait on state, not on time.
import { SwiftletError } from '../../core/index.js';
import type { MockRequestRecord } from './types.js';

interface Waiter {
  predicate: (r: MockRequestRecord) => boolean;
  resolve: (r: MockRequestRecord) => void;
  reject: (err: unknown) => void;
  timer: NodeJS.Timeout;
}

export class Waiters {
  readonly #pending = new Set<Waiter>();

  add(
    predicate: (r: MockRequestRecord) => boolean,
    timeoutMs: number,
    existing: readonly MockRequestRecord[],
  ): Promise<MockRequestRecord> {
    try {
      const found = existing.find(predicate);
      if (found !== undefined) return Promise.resolve(found);
    } catch (err) {
      return Promise.reject(err as Error);
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        predicate,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.#pending.delete(waiter);
          reject(new SwiftletError('SWIFTLET_ERR_INTERNAL', `mock LLM: no matching request within ${timeoutMs} ms`));
        }, timeoutMs),
      };
      this.#pending.add(waiter);
    });
  }

  check(record: MockRequestRecord): void {
    if (this.#pending.size === 0) return;
    for (const w of this.#pending) {
      let match: boolean;
      try {
        match = w.predicate(record);
      } catch (err) {
        this.#settle(w);
        w.reject(err);
        continue;
      }
      if (match) {
        this.#settle(w);
        w.resolve(record);
      }
    }
  }

  closeAll(): void {
    for (const w of this.#pending) {
      this.#settle(w);
      w.reject(new SwiftletError('SWIFTLET_ERR_SHUTTING_DOWN', 'mock LLM closed while waiting for a request'));
    }
  }

  #settle(w: Waiter): void {
    clearTimeout(w.timer);
    this.#pending.delete(w);
  }
}
