import type { TaskStore, TaskWrite, TaskWriteResult } from '../store/index.js';

interface Pending {
  write: TaskWrite;
  resolve?: (r: TaskWriteResult) => void;
  reject?: (err: unknown) => void;
}

/**
 * Group commit for task writes: every write submitted while a transaction runs goes into the next one, so a burst of
 * publishes, claims and completions costs one transaction per tick, not one each. A write that someone waits on
 * resolves only after its transaction committed; a write behind (progress, lease renewals) is committed in the same
 * stream, in order, and nobody waits for it.
 */
export class TaskWriter {
  #store: TaskStore;
  #pending: Pending[] = [];
  #running: Promise<void> | undefined;
  #scheduled = false;
  #onBehindError: (err: unknown) => void;
  transactions = 0;

  constructor(store: TaskStore, onBehindError: (err: unknown) => void) {
    this.#store = store;
    this.#onBehindError = onBehindError;
  }

  submit(write: TaskWrite): Promise<TaskWriteResult> {
    return new Promise((resolve, reject) => {
      this.#pending.push({ write, resolve, reject });
      this.#schedule();
    });
  }

  /** Queues a write nobody waits for; `committed` runs after its transaction commits (not when it fails). */
  behind(write: TaskWrite, committed?: () => void): void {
    this.#pending.push(committed ? { write, resolve: () => committed() } : { write });
    this.#schedule();
  }

  /** Resolves once nothing is waiting to be written. */
  async drain(): Promise<void> {
    while (this.#pending.length > 0 || this.#running || this.#scheduled) {
      await (this.#running ?? new Promise((r) => setImmediate(r)));
    }
  }

  #schedule(): void {
    if (this.#scheduled || this.#running) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      this.#running = this.#flush().finally(() => {
        this.#running = undefined;
        if (this.#pending.length > 0) this.#schedule();
      });
    });
  }

  async #flush(): Promise<void> {
    const batch = this.#pending;
    this.#pending = [];
    if (batch.length === 0) return;
    let results: TaskWriteResult[];
    try {
      this.transactions++;
      results = await this.#store.write(batch.map((p) => p.write));
    } catch (err) {
      for (const p of batch) {
        if (p.reject) p.reject(err);
        else this.#onBehindError(err);
      }
      return;
    }
    for (let i = 0; i < batch.length; i++) batch[i]!.resolve?.(results[i]!);
  }
}
