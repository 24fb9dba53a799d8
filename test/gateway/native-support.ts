// Client-side helpers for the native API tests: JSON requests and a Server-Sent Events reader that parses the
// stream as the WHATWG EventSource algorithm does.
import type { ChildProcess } from 'node:child_process';
import { request } from 'undici';
import { runCli, type CliResult } from '../helpers/cli.js';

export interface JsonReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- test assertions read arbitrary JSON
}

export async function call(
  base: string,
  method: 'GET' | 'POST' | 'DELETE' | 'PUT',
  path: string,
  opts: { body?: unknown; raw?: string; headers?: Record<string, string>; key?: string } = {},
): Promise<JsonReply> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.key) headers.authorization = `Bearer ${opts.key}`;
  let body: string | undefined = opts.raw;
  if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers['content-type'] ??= 'application/json';
  }
  const res = await request(base + path, { method, headers, ...(body === undefined ? {} : { body }) });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, body: text === '' ? undefined : JSON.parse(text) };
}

export interface SseEvent {
  id: string;
  event: string;
  data: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- parsed event payloads
}

/** Incremental EventSource-style parser: fields per line, dispatch on a blank line, comments counted. */
export class SseParser {
  #buffer = '';
  #id = '';
  #event = '';
  #data: string[] = [];
  comments = 0;

  push(chunk: string): SseEvent[] {
    this.#buffer += chunk;
    const out: SseEvent[] = [];
    let nl: number;
    while ((nl = this.#buffer.search(/\r\n|\r|\n/)) >= 0) {
      const line = this.#buffer.slice(0, nl);
      this.#buffer = this.#buffer.slice(nl + (this.#buffer.startsWith('\r\n', nl) ? 2 : 1));
      if (line === '') {
        if (this.#data.length > 0) {
          out.push({ id: this.#id, event: this.#event || 'message', data: JSON.parse(this.#data.join('\n')) });
        }
        this.#event = '';
        this.#data = [];
        continue;
      }
      if (line.startsWith(':')) {
        this.comments++;
        continue;
      }
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      let value = colon < 0 ? '' : line.slice(colon + 1);
      if (value.startsWith(' ')) value = value.slice(1);
      if (field === 'id') this.#id = value;
      else if (field === 'event') this.#event = value;
      else if (field === 'data') this.#data.push(value);
    }
    return out;
  }
}

export interface SseReader {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  parser: SseParser;
  /** Events until `until` returns true for one (included), `stop` after a chunk, or the stream ends. */
  read(until?: (e: SseEvent) => boolean, stop?: () => boolean): Promise<SseEvent[]>;
  /** Closes the connection (the client going away). */
  close(): void;
}

export async function openSse(
  base: string,
  method: 'GET' | 'POST',
  path: string,
  opts: { body?: unknown; headers?: Record<string, string> } = {},
): Promise<SseReader> {
  const controller = new AbortController();
  const headers: Record<string, string> = { accept: 'text/event-stream', ...opts.headers };
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  const res = await request(base + path, {
    method,
    headers,
    signal: controller.signal,
    ...(opts.body === undefined ? {} : { body: JSON.stringify(opts.body) }),
  });
  const parser = new SseParser();
  const it = res.body.setEncoding('utf8')[Symbol.asyncIterator]() as AsyncIterator<string>;
  const pending: SseEvent[] = [];
  return {
    status: res.statusCode,
    headers: res.headers,
    parser,
    async read(until, stop) {
      const out: SseEvent[] = [];
      for (;;) {
        while (pending.length > 0) {
          const e = pending.shift()!;
          out.push(e);
          if (until?.(e)) return out;
        }
        const next = await it.next();
        if (next.done) return out;
        pending.push(...parser.push(next.value));
        if (pending.length === 0 && stop?.()) return out;
      }
    },
    close() {
      controller.abort();
      res.body.on('error', () => undefined);
    },
  };
}

/** Waits for a condition checked on each call of `probe`, with a deadline (no fixed sleeps). */
export async function waitUntil(probe: () => Promise<boolean> | boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Starts `swiftlet serve`; resolves with the URL once it prints its listening line. */
export function startServe(
  args: string[],
  cwd: string,
  env: Record<string, string | undefined> = {},
): { url: Promise<string>; exit: Promise<CliResult>; child: Promise<ChildProcess> } {
  let onChild!: (c: ChildProcess) => void;
  const child = new Promise<ChildProcess>((r) => (onChild = r));
  const exit = runCli(['serve', ...args], { cwd, env, onSpawn: onChild });
  const url = child.then(
    (c) =>
      new Promise<string>((resolve, reject) => {
        let out = '';
        c.stdout!.on('data', (d: Buffer | string) => {
          out += String(d);
          const m = /^swiftlet listening on (\S+)$/m.exec(out);
          if (m) resolve(m[1]!);
        });
        c.on('exit', () => reject(new Error(`serve exited before listening:\n${out}`)));
      }),
  );
  return { url, exit, child };
}
