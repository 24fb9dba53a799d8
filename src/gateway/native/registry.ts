import type { Logger } from 'pino';
import { emptyUsage, toSwiftletError, type TurnEndEvent } from '../../core/index.js';
import type { TurnRun } from '../../runtime/index.js';
import { EventIdAssigner } from './event-ids.js';
import { LiveTurn } from './live-turn.js';

/** How long a finished turn's events stay in memory for readers that resume (later, they are rebuilt from the log). */
export const RETAIN_MS = 60_000;
const MAX_RETAINED = 1000;
const MAX_RETAINED_BYTES = 32 * 1024 * 1024;

/**
 * The turns this gateway started: each one's events are read from the runtime at once, whatever its HTTP readers do
 * (a slow or vanished client never holds a turn back), into a LiveTurn. Finished turns are kept for a while, bounded
 * in number and bytes.
 */
export class TurnRegistry {
  #turns = new Map<string, LiveTurn>();
  #finished: LiveTurn[] = [];
  #finishedBytes = 0;
  #log: Logger;

  constructor(log: Logger) {
    this.#log = log;
  }

  /** Follows a started turn; `release` is called once when it has ended. */
  start(run: TurnRun, release: () => void): LiveTurn {
    const live = new LiveTurn(run.tenant, run.sessionId, run.turnId);
    this.#turns.set(run.turnId, live);
    void this.#pump(run, live, release);
    return live;
  }

  get(turnId: string): LiveTurn | undefined {
    this.#evict(Date.now());
    return this.#turns.get(turnId);
  }

  async #pump(run: TurnRun, live: LiveTurn, release: () => void): Promise<void> {
    const ids = new EventIdAssigner();
    let end: TurnEndEvent | undefined;
    let streamed = false;
    try {
      for await (const event of run) {
        live.add(ids.next(event));
        if (event.type === 'turn-end') {
          end = event;
          streamed = true;
        }
      }
    } catch (err) {
      // The runtime refused the turn after accepting it (e.g. the session changed agent meanwhile).
      const e = toSwiftletError(err);
      if (e.code === 'SWIFTLET_ERR_INTERNAL') this.#log.error({ err, turnId: run.turnId }, 'turn failed');
      live.failure = e;
      end = failedEnd(run, e.code, e.message);
    } finally {
      release();
    }
    if (!end) end = failedEnd(run, 'SWIFTLET_ERR_INTERNAL', 'the turn ended without a result');
    if (!streamed) live.add(ids.next(end));
    live.finish(end);
    this.#retire(live);
  }

  #retire(live: LiveTurn): void {
    live.finishedAt = Date.now();
    this.#finished.push(live);
    this.#finishedBytes += live.bytes;
    this.#evict(live.finishedAt);
  }

  #evict(now: number): void {
    for (;;) {
      const oldest = this.#finished[0];
      if (!oldest) return;
      const over = this.#finished.length > MAX_RETAINED || this.#finishedBytes > MAX_RETAINED_BYTES;
      if (!over && now - oldest.finishedAt < RETAIN_MS) return;
      this.#finished.shift();
      this.#finishedBytes -= oldest.bytes;
      this.#turns.delete(oldest.turnId);
    }
  }
}

function failedEnd(run: TurnRun, code: string, message: string): TurnEndEvent {
  return {
    type: 'turn-end',
    turnId: run.turnId,
    sessionId: run.sessionId,
    outcome: 'failed',
    text: '',
    usage: emptyUsage(),
    steps: 0,
    error: { code, message },
  };
}
