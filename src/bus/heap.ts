/** What a queue holds: a priority, an id that orders ties (ids sort by creation), and its place in the heap. */
export interface Queued {
  readonly priority: number;
  readonly id: string;
  /** Index in the heap that holds it, -1 when in none. */
  slot: number;
}

/** Higher priority first; ties by id, oldest first. */
function before(a: Queued, b: Queued): boolean {
  return a.priority !== b.priority ? a.priority > b.priority : a.id < b.id;
}

/** A binary heap of tasks waiting for a consumer, with O(log n) removal of any member (cancel, deadline). */
export class TaskHeap<T extends Queued> {
  #items: T[] = [];

  get size(): number {
    return this.#items.length;
  }

  peek(): T | undefined {
    return this.#items[0];
  }

  push(item: T): void {
    item.slot = this.#items.length;
    this.#items.push(item);
    this.#up(item.slot);
  }

  pop(): T | undefined {
    const top = this.#items[0];
    if (top) this.remove(top);
    return top;
  }

  /** Removes `item` if this heap holds it; returns whether it did. */
  remove(item: T): boolean {
    const i = item.slot;
    if (i < 0 || this.#items[i] !== item) return false;
    const last = this.#items.pop()!;
    item.slot = -1;
    if (last !== item) {
      this.#items[i] = last;
      last.slot = i;
      this.#down(i);
      this.#up(last.slot);
    }
    return true;
  }

  #up(i: number): void {
    const items = this.#items;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(items[i]!, items[parent]!)) break;
      this.#swap(i, parent);
      i = parent;
    }
  }

  #down(i: number): void {
    const items = this.#items;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let best = i;
      if (l < items.length && before(items[l]!, items[best]!)) best = l;
      if (r < items.length && before(items[r]!, items[best]!)) best = r;
      if (best === i) return;
      this.#swap(i, best);
      i = best;
    }
  }

  #swap(i: number, j: number): void {
    const items = this.#items;
    const a = items[i]!;
    const b = items[j]!;
    items[i] = b;
    items[j] = a;
    a.slot = j;
    b.slot = i;
  }
}
