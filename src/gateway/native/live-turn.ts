import type { Entry, TurnEndEvent } from '../../core/index.js';
import { compareIds, eventsAfter, rebuildTurn, type EventId, type SeqEvent } from './event-ids.js';

/** Buffered bytes per turn past which the oldest events are dropped (they are in the session log already). */
export const MAX_BUFFER_BYTES = 256 * 1024;

export type ReadTurnLog = () => Promise<Entry[]>;

/**
 * The events of one turn this gateway runs, for any number of readers, each at its own pace. Bounded: a step's
 * text-deltas are merged into one event (a reader that fell behind gets the unseen rest in one piece), and past
 * MAX_BUFFER_BYTES the oldest events are dropped; a reader that needs those gets them rebuilt from the session log,
 * where every event but the current step's text already is.
 */
export class LiveTurn {
  readonly tenant: string;
  readonly sessionId: string;
  readonly turnId: string;
  #items: SeqEvent[] = [];
  #bytes = 0;
  #dropped: EventId | undefined;
  #end: TurnEndEvent | undefined;
  #waiters: (() => void)[] = [];
  #resolveDone!: (end: TurnEndEvent) => void;
  /** Resolves with the turn-end event. */
  readonly done: Promise<TurnEndEvent>;
  /** The error that ended the turn before it started (bad state found by the runtime), if any. */
  failure: Error | undefined;
  started = false;
  finishedAt = 0;

  constructor(tenant: string, sessionId: string, turnId: string) {
    this.tenant = tenant;
    this.sessionId = sessionId;
    this.turnId = turnId;
    this.done = new Promise((resolve) => (this.#resolveDone = resolve));
  }

  get ended(): boolean {
    return this.#end !== undefined;
  }

  get bytes(): number {
    return this.#bytes;
  }

  add(items: readonly SeqEvent[]): void {
    for (const item of items) this.#add(item);
    if (items.length > 0) this.#wake();
  }

  finish(end: TurnEndEvent): void {
    this.#end = end;
    this.#resolveDone(end);
    this.#wake();
  }

  /** The events after `after`, reading the log only for events dropped from the buffer. */
  async after(after: EventId | undefined, readLog: ReadTurnLog): Promise<SeqEvent[]> {
    const items = this.#items.slice();
    const dropped = this.#dropped;
    if (dropped === undefined || (after !== undefined && compareIds(after, dropped) >= 0)) {
      return eventsAfter(items, after);
    }
    const out = eventsAfter(rebuildTurn(await readLog(), this.sessionId), after).filter(
      (e) => compareIds(e.id, dropped) <= 0,
    );
    out.push(...eventsAfter(items, dropped));
    return out;
  }

  /** Every event after `after` as it comes, until turn-end or until `signal` aborts. */
  async *follow(after: EventId | undefined, signal: AbortSignal, readLog: ReadTurnLog): AsyncGenerator<SeqEvent> {
    let last = after;
    while (!signal.aborted) {
      const wait = this.#end === undefined ? this.#changed() : undefined;
      const batch = await this.after(last, readLog);
      for (const item of batch) {
        yield item;
        last = item.id;
        if (item.event.type === 'turn-end' || signal.aborted) return;
      }
      if (batch.length === 0) {
        if (!wait) return;
        await untilAborted(wait, signal);
      }
    }
  }

  #add(item: SeqEvent): void {
    if (item.event.type === 'turn-start') this.started = true;
    const last = this.#items.at(-1);
    const e = item.event;
    if (e.type === 'text-delta' && last?.event.type === 'text-delta' && last.id[0] === item.id[0]) {
      this.#items[this.#items.length - 1] = { id: item.id, event: { ...e, text: last.event.text + e.text } };
      this.#bytes += e.text.length;
    } else {
      this.#items.push(item);
      this.#bytes += sizeOf(item);
    }
    // Everything before the newest event is in the log: only the text of a step still streaming is not.
    while (this.#bytes > MAX_BUFFER_BYTES && this.#items.length > 1) {
      const first = this.#items.shift()!;
      this.#bytes -= sizeOf(first);
      this.#dropped = first.id;
    }
  }

  #changed(): Promise<void> {
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }
}

function sizeOf(item: SeqEvent): number {
  const e = item.event;
  switch (e.type) {
    case 'text-delta':
      return e.text.length;
    case 'tool-call':
      return 64 + e.call.arguments.length;
    case 'tool-result':
      return 64 + e.output.length;
    case 'tool-progress':
      return 64 + e.text.length;
    case 'turn-end':
      return 64 + e.text.length;
    default:
      return 64;
  }
}

function untilAborted(wait: Promise<void>, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      signal.removeEventListener('abort', done);
      resolve();
    };
    signal.addEventListener('abort', done, { once: true });
    void wait.then(done);
  });
}
