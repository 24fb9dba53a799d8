import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

/** What the runtime reports about itself at scrape time (`Runtime.stats` has this shape). */
export interface RuntimeStats {
  activeTurns: number;
  queuedTurns: number;
  cache: { sessions: number; bytes: number; hits: number; misses: number };
  /** Entries enqueued for the store and not yet committed. */
  writer?: { pending: number };
}

/** Values read once per scrape, so that every metric of one scrape sees the same moment. */
export interface ScrapeSample {
  stats: RuntimeStats | undefined;
  loopP50: number;
  loopP99: number;
  loopMax: number;
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
}

const RESOLUTION_MS = 10;
const NS_PER_S = 1e9;

/**
 * Samples the event loop continuously (a timer every 10 ms) and the rest at scrape time. The loop histogram is reset
 * after each scrape, so the delay gauges describe the interval since the previous one.
 */
export class Sampler {
  readonly sample: ScrapeSample = {
    stats: undefined,
    loopP50: 0,
    loopP99: 0,
    loopMax: 0,
    rss: 0,
    heapUsed: 0,
    heapTotal: 0,
    external: 0,
  };
  #stats: (() => RuntimeStats) | undefined;
  #loop: IntervalHistogram;

  constructor(stats: (() => RuntimeStats) | undefined) {
    this.#stats = stats;
    this.#loop = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
    this.#loop.enable();
  }

  take(): ScrapeSample {
    const s = this.sample;
    s.stats = this.#stats?.();
    const loop = this.#loop;
    if (loop.count > 0) {
      s.loopP50 = delaySeconds(loop.percentile(50));
      s.loopP99 = delaySeconds(loop.percentile(99));
      s.loopMax = delaySeconds(loop.max);
    } else {
      s.loopP50 = s.loopP99 = s.loopMax = 0;
    }
    loop.reset();
    const mem = process.memoryUsage();
    s.rss = mem.rss;
    s.heapUsed = mem.heapUsed;
    s.heapTotal = mem.heapTotal;
    s.external = mem.external;
    return s;
  }

  stop(): void {
    this.#loop.disable();
  }
}

/** The histogram records the time between timer runs; what exceeds the timer's own interval is the delay. */
function delaySeconds(ns: number): number {
  return Math.max(0, ns / NS_PER_S - RESOLUTION_MS / 1000);
}
