// Connection-level defences against slow and malformed clients: how long a request may take to arrive, how many
// connections may be open, and the JSON answers for what node:http refuses before any route sees the request.
import { readFileSync } from 'node:fs';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { SwiftletError } from '../core/index.js';
import { rejectUpgrade, sendError } from './http.js';
import { DEFAULT_SERVER_OPTIONS, type ServerOptions } from './types.js';

/** The longest request URL (request target) accepted; node:http's own limit is 16 KiB for the whole head. */
export const MAX_URL_BYTES = 8192;
/** Descriptors kept free of client connections: the store, log files, connections to model providers. */
export const FD_RESERVE = 64;
/** After an error answer, how long a client may take to close before its socket is cut. */
const LINGER_MS = 1000;

type RawUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => void;

/**
 * How often node:http looks for connections past their headers or request deadline (its default, 30 s, lets a
 * slow client hold a socket for up to 30 s past the timeout): a fraction of the shorter timeout, at most 500 ms.
 */
export function checkingIntervalMs(options: Pick<ServerOptions, 'headersTimeoutMs' | 'requestTimeoutMs'>): number {
  const shortest = Math.min(options.headersTimeoutMs, options.requestTimeoutMs);
  return Math.min(500, Math.max(10, Math.floor(shortest / 4)));
}

/**
 * The request handlers wrapped with the URL length check (414 before routing), remembering each socket's latest
 * response so that an error answer is never written into, or after, an answer to the same request.
 */
export class ConnectionGuard {
  #responses = new WeakMap<Duplex, ServerResponse>();
  #answered = new WeakSet<Duplex>();
  readonly #log: Logger;
  readonly #options: Pick<ServerOptions, 'headersTimeoutMs' | 'requestTimeoutMs'>;

  constructor(log: Logger, options: Pick<ServerOptions, 'headersTimeoutMs' | 'requestTimeoutMs'>) {
    this.#log = log;
    this.#options = options;
  }

  request(handler: RequestListener): RequestListener {
    return (req, res) => {
      this.#responses.set(req.socket, res);
      if ((req.url ?? '').length > MAX_URL_BYTES) {
        res.setHeader('connection', 'close');
        sendError(res, urlTooLong());
        return;
      }
      handler(req, res);
    };
  }

  upgrade(handler: RawUpgrade): RawUpgrade {
    return (req, socket, head) => {
      if ((req.url ?? '').length > MAX_URL_BYTES) {
        this.#answer(socket, urlTooLong());
        return;
      }
      handler(req, socket, head);
    };
  }

  /** The server's `clientError` listener: 408, 431, 414 or 400 as JSON when an answer can still be written. */
  clientError = (err: Error & { code?: string; rawPacket?: Buffer; bytesParsed?: number }, socket: Duplex): void => {
    if (this.#answered.has(socket)) return;
    const error =
      err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? this.#timeout(this.#responses.get(socket)) : clientErrorAnswer(err);
    if (error === undefined || !socket.writable || this.#responseStarted(socket)) {
      socket.destroy();
      return;
    }
    if (error.code !== 'SWIFTLET_ERR_REQUEST_TIMEOUT') this.#log.debug({ err: err.code }, 'malformed request');
    this.#answer(socket, error);
  };

  /** node:http reports both deadlines alike: a response object for an unfinished request means its body was late. */
  #timeout(res: ServerResponse | undefined): SwiftletError {
    const { headersTimeoutMs, requestTimeoutMs } = this.#options;
    return new SwiftletError(
      'SWIFTLET_ERR_REQUEST_TIMEOUT',
      res !== undefined && !res.req.complete
        ? `the request's body did not arrive within ${requestTimeoutMs} ms (server.requestTimeoutMs)`
        : `the request's headers did not arrive within ${headersTimeoutMs} ms (server.headersTimeoutMs)`,
    );
  }

  #responseStarted(socket: Duplex): boolean {
    const res = this.#responses.get(socket);
    // An answer under way, or a finished answer to a request whose body is still arriving.
    return res !== undefined && res.headersSent && (!res.writableFinished || !res.req.complete);
  }

  #answer(socket: Duplex, err: SwiftletError): void {
    this.#answered.add(socket);
    rejectUpgrade(socket, err);
    // node:http sockets are half-open: a client that never closes its side would keep the descriptor.
    const timer = setTimeout(() => socket.destroy(), LINGER_MS);
    timer.unref();
    socket.once('close', () => clearTimeout(timer));
  }
}

/** What to answer for an error node:http reports on a connection; undefined: nothing (the client went away). */
export function clientErrorAnswer(err: { code?: string; rawPacket?: Buffer }): SwiftletError | undefined {
  switch (err.code) {
    case 'ECONNRESET':
    case 'EPIPE':
      return undefined;
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return new SwiftletError('SWIFTLET_ERR_REQUEST_TIMEOUT', 'the request did not arrive in time');
    case 'HPE_HEADER_OVERFLOW':
      return requestLineTooLong(err.rawPacket)
        ? urlTooLong()
        : new SwiftletError('SWIFTLET_ERR_HEADERS_TOO_LARGE', "the request's headers are larger than 16 KiB");
    default:
      return new SwiftletError('SWIFTLET_ERR_INVALID_INPUT', 'the request is not valid HTTP/1.1');
  }
}

/**
 * Whether the head overflowed in its request line: the packet being parsed starts a request (`METHOD SP`) and its
 * first line is longer than the URL limit or never ends. A URL split over several packets is seen as headers (431).
 */
function requestLineTooLong(packet: Buffer | undefined): boolean {
  if (packet === undefined || !/^[A-Z]+ /.test(packet.subarray(0, 16).toString('latin1'))) return false;
  const lf = packet.indexOf(10);
  return lf === -1 || lf > MAX_URL_BYTES;
}

function urlTooLong(): SwiftletError {
  return new SwiftletError(
    'SWIFTLET_ERR_URL_TOO_LONG',
    `the request's URL is longer than 8 KiB (${MAX_URL_BYTES} bytes)`,
  );
}

/** The soft "Max open files" limit in a /proc/<pid>/limits text; Infinity for unlimited, undefined if absent. */
export function parseOpenFileLimit(text: string): number | undefined {
  const m = /^Max open files\s+(\S+)/m.exec(text);
  if (!m) return undefined;
  if (m[1] === 'unlimited') return Infinity;
  const n = Number(m[1]);
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

/** This process's open-file limit on Linux; undefined elsewhere or when it cannot be read. */
export function openFileLimit(): number | undefined {
  if (process.platform !== 'linux') return undefined;
  try {
    return parseOpenFileLimit(readFileSync('/proc/self/limits', 'utf8'));
  } catch {
    return undefined;
  }
}

/**
 * `server.maxConnections` checked against the open-file limit, keeping FD_RESERVE descriptors for everything else.
 * A value above what fits is refused when configured; the default (a configured value equal to the default is taken
 * as the default: the config does not record which keys were written) is lowered to fit, with a warning.
 */
export function fitMaxConnections(requested: number, fileLimit: number | undefined, log: Logger): number {
  if (fileLimit === undefined || requested <= fileLimit - FD_RESERVE) return requested;
  const fits = fileLimit - FD_RESERVE;
  const raise = `raise the limit (ulimit -n ${requested + FD_RESERVE}, or LimitNOFILE= for systemd)`;
  if (requested !== DEFAULT_SERVER_OPTIONS.maxConnections || fits < 1) {
    throw new SwiftletError(
      'SWIFTLET_ERR_CONFIG_INVALID',
      `server.maxConnections is ${requested}, but the open-file limit is ${fileLimit} and ${FD_RESERVE} descriptors ` +
        `are kept for the store, logs and model connections: ` +
        (fits < 1 ? raise : `set it to at most ${fits}, or ${raise}`),
      { field: 'server.maxConnections' },
    );
  }
  log.warn(
    { maxConnections: fits, openFileLimit: fileLimit },
    `server.maxConnections lowered from ${requested} to ${fits} to fit the open-file limit; raise it with ulimit -n`,
  );
  return fits;
}
