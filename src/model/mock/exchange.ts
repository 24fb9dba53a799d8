// Writes one answer (at once, or paced by the configured delays, or cut short by a fault) and keeps its request
// record up to date. With no delay and no fault an answer is a single synchronous write: no timer, no listener.
import type { ServerResponse } from 'node:http';
import type { MockRequestRecord } from './types.js';
import { JSON_HEADERS, SSE_HEADERS, type StreamPlan } from './wire.js';

export interface Timing {
  firstTokenMs: number;
  tokenDelayMs: number;
}

export interface Cut {
  afterTokens: number;
  then: 'stall' | 'disconnect';
}

type Headers = Readonly<Record<string, string | number>>;

export class Exchange {
  readonly #res: ServerResponse;
  readonly #record: MockRequestRecord;
  readonly #changed: (record: MockRequestRecord) => void;
  #timer: NodeJS.Timeout | undefined;
  #serverClosed = false;

  constructor(res: ServerResponse, record: MockRequestRecord, changed: (record: MockRequestRecord) => void) {
    this.#res = res;
    this.#record = record;
    this.#changed = changed;
  }

  /** A complete answer now, or after `delayMs`. */
  send(status: number, headers: Headers, body: string, delayMs = 0): void {
    if (delayMs === 0) return this.#send(status, headers, body);
    this.#watch();
    this.#timer = setTimeout(() => this.#send(status, headers, body), delayMs);
  }

  /** Accepts the request and never answers; the record ends when the client gives up. */
  hang(): void {
    this.#watch();
  }

  /** A JSON answer whose body stops halfway: the client sees headers, then silence or a dropped connection. */
  sendPartial(body: string, then: Cut['then'], delayMs: number): void {
    this.#watch();
    const go = (): void => {
      this.#head(200, { ...JSON_HEADERS, 'content-length': Buffer.byteLength(body) });
      this.#cut(body.slice(0, body.length >> 1), then);
    };
    if (delayMs === 0) go();
    else this.#timer = setTimeout(go, delayMs);
  }

  stream(plan: StreamPlan, timing: Timing, cut?: Cut): void {
    const { frames } = plan;
    const stop = cut === undefined ? frames.length : Math.min(cut.afterTokens, plan.textFrames);
    if (timing.firstTokenMs === 0 && timing.tokenDelayMs === 0 && cut === undefined) {
      let out = plan.head;
      for (const f of frames) out += f;
      return this.#send(200, SSE_HEADERS, out + plan.tail);
    }
    this.#watch();
    let i = 0;
    let started = false;
    const step = (): void => {
      this.#timer = undefined;
      let out = '';
      if (!started) {
        started = true;
        this.#head(200, SSE_HEADERS);
        out = plan.head;
      }
      const until = timing.tokenDelayMs === 0 ? stop : Math.min(stop, i + 1);
      while (i < until) out += frames[i++] as string;
      if (i < stop) {
        this.#res.write(out);
        this.#timer = setTimeout(step, timing.tokenDelayMs);
      } else if (cut !== undefined) {
        this.#cut(out, cut.then);
      } else {
        this.#res.end(out + plan.tail);
        this.#ended();
      }
    };
    if (timing.firstTokenMs === 0) step();
    else this.#timer = setTimeout(step, timing.firstTokenMs);
  }

  #send(status: number, headers: Headers, body: string): void {
    this.#timer = undefined;
    this.#head(status, headers);
    this.#res.end(body);
    this.#ended();
  }

  #head(status: number, headers: Headers): void {
    this.#res.writeHead(status, headers);
    this.#record.status = status;
  }

  #cut(out: string, then: Cut['then']): void {
    if (then === 'stall') {
      if (out !== '') this.#res.write(out);
      return;
    }
    // Destroy only once the bytes are handed to the kernel, so the client really receives the first tokens.
    this.#res.write(out, () => {
      this.#serverClosed = true;
      this.#res.socket?.destroy();
      this.#ended();
    });
  }

  #ended(): void {
    this.#record.endedAt = Date.now();
    this.#changed(this.#record);
  }

  #watch(): void {
    this.#res.once('close', () => {
      clearTimeout(this.#timer);
      if (this.#res.writableEnded || this.#serverClosed) return;
      this.#record.clientClosed = true;
      this.#ended();
    });
  }
}
