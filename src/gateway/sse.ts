import type { ServerResponse } from 'node:http';

export interface SseOptions {
  /** A comment line is sent this often while nothing else is, so proxies keep the connection open. */
  heartbeatMs: number;
  headers?: Record<string, string>;
}

/**
 * A Server-Sent Events response. `send` reports backpressure: when the socket's buffer is full it returns a promise
 * that resolves on 'drain' (or when the client has gone), so a writer that awaits it never buffers without bound.
 */
export class SseStream {
  #res: ServerResponse;
  #timer: NodeJS.Timeout;
  #closed = false;

  constructor(res: ServerResponse, options: SseOptions) {
    this.#res = res;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      // nginx and similar proxies buffer responses unless told otherwise.
      'x-accel-buffering': 'no',
      ...options.headers,
    });
    res.flushHeaders();
    this.#timer = setInterval(() => {
      if (!this.#closed && !res.writableNeedDrain) res.write(': heartbeat\n\n');
    }, options.heartbeatMs);
    this.#timer.unref();
    res.once('close', () => this.#stop());
  }

  /** True once the stream ended or the client went away. */
  get closed(): boolean {
    return this.#closed || this.#res.destroyed;
  }

  /** Writes one event; returns a promise only when the caller should wait before writing more. */
  send(event: string, data: unknown, id?: string): Promise<void> | undefined {
    if (this.closed) return undefined;
    const frame = `${id === undefined ? '' : `id: ${id}\n`}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
    if (this.#res.write(frame)) return undefined;
    return new Promise((resolve) => {
      const done = (): void => {
        this.#res.off('drain', done);
        this.#res.off('close', done);
        resolve();
      };
      this.#res.on('drain', done);
      this.#res.on('close', done);
    });
  }

  end(): void {
    if (this.#closed) return;
    this.#stop();
    this.#res.end();
  }

  #stop(): void {
    this.#closed = true;
    clearInterval(this.#timer);
  }
}
