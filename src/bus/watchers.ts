import { isTerminal, sessionKeyString, type TaskEvent } from '../core/index.js';
import type { TaskStore } from '../store/index.js';
import type { WatchOptions } from './types.js';

/**
 * Watches of tasks: each reads the task's events from the store, then waits until a commit in this process wakes it
 * (`notify`) or `pollMs` passes (another process's commits), and reads again, until a terminal state.
 */
export class Watchers {
  #waiting = new Map<string, Set<() => void>>();
  #store: TaskStore;
  #pollMs: number;

  constructor(store: TaskStore, pollMs: number) {
    this.#store = store;
    this.#pollMs = pollMs;
  }

  has(tenant: string, id: string): boolean {
    return this.#waiting.has(sessionKeyString(tenant, id));
  }

  notify(tenant: string, id: string): void {
    const set = this.#waiting.get(sessionKeyString(tenant, id));
    if (set) for (const wake of set) wake();
  }

  wakeAll(): void {
    for (const set of this.#waiting.values()) for (const wake of set) wake();
  }

  async *watch(tenant: string, id: string, options: WatchOptions = {}): AsyncIterable<TaskEvent> {
    let after = options.afterSeq ?? 0;
    const key = sessionKeyString(tenant, id);
    const signal = options.signal;
    for (;;) {
      signal?.throwIfAborted();
      let wake!: () => void;
      const woken = new Promise<void>((r) => (wake = r));
      let set = this.#waiting.get(key);
      if (!set) this.#waiting.set(key, (set = new Set()));
      set.add(wake);
      try {
        const events = await this.#store.events(tenant, id, after);
        for (const e of events) {
          after = e.seq;
          yield e;
          if (e.type === 'state' && isTerminal(e.state)) return;
        }
        if (events.length === 0) {
          // Nothing after `after`: an unknown task, or one that already ended (a watch resumed past its end).
          const task = await this.#store.get(tenant, id);
          if (!task || (isTerminal(task.state) && after >= task.lastSeq)) return;
          if (isTerminal(task.state)) continue;
        }
        let timer: NodeJS.Timeout | undefined;
        const stop = (): void => wake();
        signal?.addEventListener('abort', stop, { once: true });
        await Promise.race([woken, new Promise<void>((r) => (timer = setTimeout(r, this.#pollMs)))]);
        clearTimeout(timer);
        signal?.removeEventListener('abort', stop);
      } finally {
        set.delete(wake);
        if (set.size === 0) this.#waiting.delete(key);
      }
    }
  }
}
