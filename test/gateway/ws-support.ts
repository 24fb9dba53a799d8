// A WebSocket test client for /v1/ws: keeps every frame it receives and waits for the ones a test expects.
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { request } from 'node:http';
import type { TurnEndEvent } from '../../src/core/index.js';
import { WebSocket, type ClientOptions } from 'ws';

/** A frame from the server, parsed (the protocol's shapes are loose here on purpose: tests check them). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- test frames are inspected field by field
export type Frame = Record<string, any>;

export class WsClient {
  readonly ws: WebSocket;
  readonly frames: Frame[] = [];
  /** Bytes of text frames received. */
  bytes = 0;
  readonly closed: Promise<{ code: number; reason: string }>;
  #waiters = new Set<() => void>();

  private constructor(ws: WebSocket) {
    this.ws = ws;
    ws.on('message', (data: Buffer) => {
      this.bytes += data.length;
      this.frames.push(JSON.parse(data.toString('utf8')) as Frame);
      for (const w of this.#waiters) w();
    });
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => {
        resolve({ code, reason: reason.toString('utf8') });
        for (const w of this.#waiters) w();
      });
    });
    ws.on('error', () => undefined);
  }

  static open(baseUrl: string, opts: ClientOptions = {}): Promise<WsClient> {
    const ws = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/v1/ws`, opts);
    const client = new WsClient(ws);
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(client));
      ws.once('unexpected-response', (_req, res) => reject(new Error(`handshake answered ${res.statusCode}`)));
      ws.once('error', reject);
    });
  }

  send(msg: unknown): void {
    this.ws.send(typeof msg === 'string' ? msg : JSON.stringify(msg));
  }

  /** The first frame (already received or to come) matching; fails after `timeoutMs` or when the socket closes. */
  waitFor(match: (f: Frame) => boolean, timeoutMs = 15_000): Promise<Frame> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const f = this.frames.find(match);
        if (f) done(() => resolve(f));
        else if (this.ws.readyState === WebSocket.CLOSED) done(() => reject(new Error('the socket closed first')));
      };
      const timer = setTimeout(
        () => done(() => reject(new Error(`no matching frame in ${timeoutMs} ms; got ${this.frames.length}`))),
        timeoutMs,
      );
      const done = (fn: () => void): void => {
        clearTimeout(timer);
        this.#waiters.delete(check);
        fn();
      };
      this.#waiters.add(check);
      check();
    });
  }

  /** Waits for the turn-end event of the turn sent with this client id. */
  turnEnd(id: string | number, timeoutMs?: number): Promise<Frame> {
    return this.waitFor((f) => f.type === 'event' && f.id === id && f.event.type === 'turn-end', timeoutMs);
  }

  /** Event frames of one client id, in arrival order. */
  events(id: string | number): Frame[] {
    return this.frames.filter((f) => f.type === 'event' && f.id === id).map((f) => f.event as Frame);
  }

  close(): void {
    this.ws.close();
  }
}

/** Sends a raw upgrade request and resolves with the HTTP status of the answer (101 when upgraded). */
export function rawUpgrade(
  baseUrl: string,
  headers: Record<string, string>,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${baseUrl}/v1/ws`, {
      headers: {
        connection: 'Upgrade',
        upgrade: 'websocket',
        'sec-websocket-version': '13',
        'sec-websocket-key': Buffer.from('0123456789abcdef').toString('base64'),
        ...headers,
      },
    });
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve({ status: res.statusCode ?? 0, body: '' });
    });
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Resolves with the next turn end of this session published on `swiftlet:turn:end` (after its commit). */
export function turnEnded(sessionId: string, timeoutMs = 15_000): Promise<TurnEndEvent> {
  return new Promise((resolve, reject) => {
    const onEnd = (m: unknown): void => {
      if ((m as TurnEndEvent).sessionId !== sessionId) return;
      done();
      resolve(m as TurnEndEvent);
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`session ${sessionId}: no turn end in ${timeoutMs} ms`));
    }, timeoutMs);
    const done = (): void => {
      clearTimeout(timer);
      unsubscribe('swiftlet:turn:end', onEnd);
    };
    subscribe('swiftlet:turn:end', onEnd);
  });
}
