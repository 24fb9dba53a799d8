import { SwiftletError } from '../core/index.js';

interface Waiter {
  start: () => void;
  cancelled: boolean;
}

interface Lane {
  running: boolean;
  queue: Waiter[];
}

/**
 * One turn at a time per session (later turns wait in a bounded FIFO), and at most `maxConcurrent` turns across
 * all sessions. Sessions are served in the order their turns became ready, so one busy session cannot starve others.
 */
export class TurnScheduler {
  #lanes = new Map<string, Lane>();
  #ready: Waiter[] = [];
  #active = 0;
  readonly maxQueuedPerSession: number;
  readonly maxConcurrent: number;

  constructor(opts: { maxQueuedPerSession: number; maxConcurrent: number }) {
    this.maxQueuedPerSession = opts.maxQueuedPerSession;
    this.maxConcurrent = opts.maxConcurrent;
  }

  get active(): number {
    return this.#active;
  }

  get queued(): number {
    let n = this.#ready.length;
    for (const lane of this.#lanes.values()) n += lane.queue.length;
    return n;
  }

  isBusy(key: string): boolean {
    return this.#lanes.has(key);
  }

  /**
   * Reserves a place for a turn on the session `key` (its tenant and id; `sessionId` names it in errors); throws
   * SESSION_BUSY when its queue is full. The returned promise resolves when the turn may run; call `release` exactly
   * once afterwards (or `cancel` if it never ran).
   */
  acquire(
    key: string,
    sessionId = key,
  ): {
    ready: Promise<void>;
    /** True once the turn may run (at once, when the session and a global slot were free). */
    started: () => boolean;
    cancel: () => boolean;
    release: () => void;
  } {
    let lane = this.#lanes.get(key);
    if (!lane) {
      lane = { running: false, queue: [] };
      this.#lanes.set(key, lane);
    } else if (lane.queue.length >= this.maxQueuedPerSession) {
      throw new SwiftletError(
        'SWIFTLET_ERR_SESSION_BUSY',
        `session ${sessionId} already has ${lane.queue.length} turns waiting (limits.maxQueuedTurnsPerSession)`,
        { retryAfterMs: 1000 },
      );
    }
    const theLane = lane;
    let started = false;
    let released = false;
    let resolveReady!: () => void;
    const ready = new Promise<void>((r) => (resolveReady = r));
    const waiter: Waiter = {
      cancelled: false,
      start: () => {
        started = true;
        this.#active++;
        resolveReady();
      },
    };
    if (theLane.running) theLane.queue.push(waiter);
    else {
      theLane.running = true;
      this.#enqueueReady(waiter);
    }
    const cancel = (): boolean => {
      if (started || waiter.cancelled) return false;
      waiter.cancelled = true;
      const i = theLane.queue.indexOf(waiter);
      if (i >= 0) theLane.queue.splice(i, 1);
      else {
        // It was at the head of its lane, waiting for a global slot: hand the lane to the next turn.
        const j = this.#ready.indexOf(waiter);
        if (j >= 0) this.#ready.splice(j, 1);
        this.#advanceLane(key, theLane);
      }
      return true;
    };
    const release = (): void => {
      if (released || !started) return;
      released = true;
      this.#active--;
      this.#advanceLane(key, theLane);
      this.#pump();
    };
    return { ready, started: () => started, cancel, release };
  }

  #advanceLane(key: string, lane: Lane): void {
    const next = lane.queue.shift();
    if (next) this.#enqueueReady(next);
    else {
      lane.running = false;
      this.#lanes.delete(key);
    }
  }

  #enqueueReady(w: Waiter): void {
    if (this.#active < this.maxConcurrent && this.#ready.length === 0) w.start();
    else this.#ready.push(w);
  }

  #pump(): void {
    while (this.#active < this.maxConcurrent && this.#ready.length > 0) this.#ready.shift()!.start();
  }
}
