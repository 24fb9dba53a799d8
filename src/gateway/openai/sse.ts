import type { ServerResponse } from 'node:http';

/**
 * A Server-Sent Events response: comment heartbeats keep proxies and clients from timing out while tools run, and a
 * slow reader holds the turn back (write → wait for drain) instead of being buffered without bound.
 */
export class SseWriter {
  #res: ServerResponse;
  #timer: NodeJS.Timeout;

  constructor(res: ServerResponse, heartbeatMs: number, headers: Record<string, string> = {}) {
    this.#res = res;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      'x-accel-buffering': 'no',
      ...headers,
    });
    res.flushHeaders();
    this.#timer = setInterval(() => this.#write(': ping\n\n'), heartbeatMs);
    this.#timer.unref();
  }

  /** One `data:` frame, named by `event` when given. Resolves once the socket can take more. */
  send(data: unknown, event?: string): Promise<void> | undefined {
    const frame = `${event === undefined ? '' : `event: ${event}\n`}data: ${JSON.stringify(data)}\n\n`;
    return this.#write(frame);
  }

  /** The `data: [DONE]` sentinel of Chat Completions streams. */
  done(): Promise<void> | undefined {
    return this.#write('data: [DONE]\n\n');
  }

  end(): void {
    clearInterval(this.#timer);
    if (!this.#res.writableEnded && !this.#res.destroyed) this.#res.end();
  }

  #write(text: string): Promise<void> | undefined {
    const res = this.#res;
    if (res.writableEnded || res.destroyed) return undefined;
    if (res.write(text)) return undefined;
    return new Promise<void>((resolve) => {
      const done = (): void => {
        res.off('drain', done);
        res.off('close', done);
        resolve();
      };
      res.on('drain', done);
      res.on('close', done);
    });
  }
}
