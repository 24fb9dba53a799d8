// A thin HTTP layer over node:http and find-my-way (fastify's router). Fastify itself was measured adding 110-200 ms
// to a cold start (bundled: ~0.2 s vs ~0.09 s to listen) against a 150 ms readiness budget; what the gateway needs
// from it (routing, JSON bodies with a limit, error mapping, hooks) is this file.
import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import FindMyWay from 'find-my-way';
import type { Logger } from 'pino';
import { SwiftletError, toSwiftletError } from '../core/index.js';
import { hostNotAllowed, type HostCheck } from './hosts.js';
import { parseJson } from './json.js';
import { LOCAL_CALLER, type Caller } from './types.js';

export type ErrorFormat = 'native' | 'openai';

export interface RequestCtx {
  req: IncomingMessage;
  res: ServerResponse;
  params: Record<string, string | undefined>;
  query: URLSearchParams;
  requestId: string;
  caller: Caller;
  log: Logger;
  /** Aborted when the client goes away before the response ends. */
  signal: AbortSignal;
  /** Reads the JSON body (within the body limit). Throws 415/413/400 SwiftletErrors. */
  json<T = unknown>(): Promise<T>;
}

export type Handler = (ctx: RequestCtx) => Promise<void> | void;
export type UpgradeHandler = (req: IncomingMessage, socket: Duplex, head: Buffer, caller: Caller) => void;

export interface RouteOptions {
  /** Require authentication (default true). */
  auth?: boolean;
  /** Shape of error bodies on this route (default native). */
  errorFormat?: ErrorFormat;
}

interface RouteStore {
  handler: Handler;
  auth: boolean;
  errorFormat: ErrorFormat;
}

/** Decides who is calling. Returns a SwiftletError (401/403) to refuse. */
export type Authenticate = (req: IncomingMessage) => Caller | SwiftletError;

let requestCounter = 0;
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export class HttpApp {
  #router = FindMyWay({ ignoreTrailingSlash: true, caseSensitive: true });
  #routes: { method: string; path: string; auth: boolean; upgrade?: true }[] = [];
  #upgrades = new Map<string, UpgradeHandler>();
  #authenticate: Authenticate = () => LOCAL_CALLER;
  #hostCheck: HostCheck | undefined;
  readonly log: Logger;
  readonly bodyLimit: number;

  constructor(log: Logger, bodyLimit: number) {
    this.log = log;
    this.bodyLimit = bodyLimit;
  }

  setAuthenticate(fn: Authenticate): void {
    this.#authenticate = fn;
  }

  /** Requests (and upgrades) whose Host fails the check are answered 421 before anything else. */
  setHostCheck(check: HostCheck | undefined): void {
    this.#hostCheck = check;
  }

  route(
    method: 'GET' | 'POST' | 'DELETE' | 'PUT' | 'PATCH',
    path: string,
    handler: Handler,
    opts: RouteOptions = {},
  ): void {
    const store: RouteStore = { handler, auth: opts.auth ?? true, errorFormat: opts.errorFormat ?? 'native' };
    this.#router.on(method, path, () => undefined, store);
    this.#routes.push({ method, path, auth: store.auth });
  }

  /** A WebSocket (or other upgrade) endpoint; authenticated before the upgrade. */
  upgrade(path: string, handler: UpgradeHandler): void {
    this.#upgrades.set(path, handler);
    this.#routes.push({ method: 'GET', path, auth: true, upgrade: true });
  }

  /** Every registered route, for documentation and for tests that check each one. */
  get routes(): readonly { method: string; path: string; auth: boolean; upgrade?: true }[] {
    return this.#routes;
  }

  handle = (req: IncomingMessage, res: ServerResponse): void => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    if (this.#hostCheck && !this.#hostCheck(req.headers.host)) {
      drain(req);
      sendError(res, hostNotAllowed(req.headers.host), formatFor(path));
      return;
    }
    const found = this.#router.find(req.method as 'GET', path);
    const header = req.headers['x-request-id'];
    const requestId =
      typeof header === 'string' && REQUEST_ID.test(header) ? header : `req-${(++requestCounter).toString(36)}`;
    res.setHeader('x-request-id', requestId);
    if (!found) {
      // With keys configured, an unauthenticated caller learns nothing about which routes exist.
      const who = this.#authenticate(req);
      if (SwiftletError.isInstance(who)) {
        drain(req);
        sendError(res, who, 'native');
        return;
      }
      if (this.#upgrades.has(path)) {
        drain(req);
        sendJson(
          res,
          426,
          { error: { code: 'SWIFTLET_ERR_INVALID_INPUT', message: `${path} needs a WebSocket upgrade` } },
          {
            upgrade: 'websocket',
            connection: 'Upgrade',
          },
        );
        return;
      }
      const allowed = this.#methodsFor(path);
      const err =
        allowed.length > 0
          ? new SwiftletError('SWIFTLET_ERR_METHOD_NOT_ALLOWED', `${req.method} is not allowed on ${path}`)
          : new SwiftletError('SWIFTLET_ERR_NOT_FOUND', `no route ${req.method} ${path}`);
      if (allowed.length > 0) res.setHeader('allow', allowed.join(', '));
      drain(req);
      sendError(res, err, formatFor(path));
      return;
    }
    const store = found.store as RouteStore;
    let caller: Caller = LOCAL_CALLER;
    if (store.auth) {
      const who = this.#authenticate(req);
      if (SwiftletError.isInstance(who)) {
        drain(req);
        sendError(res, who, store.errorFormat);
        return;
      }
      caller = who;
    }
    const controller = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) controller.abort(new SwiftletError('SWIFTLET_ERR_ABORTED', 'the client disconnected'));
    });
    const ctx: RequestCtx = {
      req,
      res,
      params: found.params,
      query: new URLSearchParams(q === -1 ? '' : url.slice(q + 1)),
      requestId,
      caller,
      log: this.log,
      signal: controller.signal,
      json: <T>() => readJson<T>(req, this.bodyLimit),
    };
    let result: Promise<void> | void;
    try {
      result = store.handler(ctx);
    } catch (err) {
      this.#fail(ctx, err, store.errorFormat);
      return;
    }
    if (result) result.catch((err: unknown) => this.#fail(ctx, err, store.errorFormat));
  };

  handleUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const handler = this.#upgrades.get(q === -1 ? url : url.slice(0, q));
    if (this.#hostCheck && !this.#hostCheck(req.headers.host)) {
      rejectUpgrade(socket, hostNotAllowed(req.headers.host));
      return;
    }
    if (!handler) {
      rejectUpgrade(socket, new SwiftletError('SWIFTLET_ERR_NOT_FOUND', 'no such endpoint'));
      return;
    }
    const who = this.#authenticate(req);
    if (SwiftletError.isInstance(who)) {
      rejectUpgrade(socket, who);
      return;
    }
    handler(req, socket, head, who);
  };

  #methodsFor(path: string): string[] {
    return ['GET', 'POST', 'DELETE', 'PUT', 'PATCH'].filter((m) => this.#router.find(m as 'GET', path) !== null);
  }

  #fail(ctx: RequestCtx, err: unknown, format: ErrorFormat): void {
    const e = toSwiftletError(err);
    if (e.code === 'SWIFTLET_ERR_INTERNAL') ctx.log.error({ err, requestId: ctx.requestId }, 'request failed');
    if (ctx.res.headersSent) {
      ctx.res.destroy();
      return;
    }
    sendError(ctx.res, e, format);
  }
}

/** Errors outside a route take the shape its clients expect: OpenAI's under the OpenAI-compatible paths. */
function formatFor(path: string): ErrorFormat {
  return path.startsWith('/v1/chat') || path.startsWith('/v1/responses') ? 'openai' : 'native';
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers?: Record<string, string>): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

/** Sends an error as JSON: `{error:{code,message,field?}}`, or OpenAI's `{error:{message,type,param,code}}`. */
export function sendError(res: ServerResponse, err: SwiftletError, format: ErrorFormat = 'native'): void {
  const headers: Record<string, string> = {};
  if (err.retryAfterMs !== undefined) headers['retry-after'] = String(Math.max(1, Math.ceil(err.retryAfterMs / 1000)));
  if (err.httpStatus === 401) headers['www-authenticate'] = 'Bearer';
  const message = publicMessage(err);
  const body =
    format === 'openai'
      ? { error: openAiError(err) }
      : {
          error: {
            code: err.code,
            message,
            ...(err.field === undefined ? {} : { field: err.field }),
            ...(err.issues ? { issues: err.issues } : {}),
          },
        };
  sendJson(res, err.httpStatus === 499 ? 400 : err.httpStatus, body, headers);
}

/** OpenAI's error object, as in error responses (and in a stream that has already begun). */
export function openAiError(err: SwiftletError): { message: string; type: string; param: string | null; code: string } {
  const status = err.httpStatus;
  const type =
    status === 401
      ? 'authentication_error'
      : status === 403
        ? 'permission_error'
        : status === 429
          ? 'rate_limit_error'
          : status < 500
            ? 'invalid_request_error'
            : 'server_error';
  return { message: publicMessage(err), type, param: err.field ?? null, code: err.code };
}

/** Internal errors never leak details to a client. */
function publicMessage(err: SwiftletError): string {
  return err.code === 'SWIFTLET_ERR_INTERNAL' ? 'internal error' : err.message;
}

function readJson<T>(req: IncomingMessage, limit: number): Promise<T> {
  const type = req.headers['content-type'] ?? '';
  if (!/^application\/(?:[\w.+-]+\+)?json\b/i.test(type)) {
    drain(req);
    return Promise.reject(
      new SwiftletError('SWIFTLET_ERR_UNSUPPORTED_MEDIA_TYPE', 'expected a JSON body (Content-Type: application/json)'),
    );
  }
  const declared = Number(req.headers['content-length']);
  if (declared > limit) {
    drain(req);
    return Promise.reject(tooLarge(limit));
  }
  return new Promise<T>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        req.removeAllListeners('data');
        drain(req);
        reject(tooLarge(limit));
        return;
      }
      chunks.push(c);
    });
    req.on('error', (err) =>
      reject(new SwiftletError('SWIFTLET_ERR_ABORTED', 'the request body was cut off', { cause: err })),
    );
    req.on('end', () => {
      if (size > limit) return;
      const text = chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8');
      try {
        resolve(parseJson(text, 'body') as T);
      } catch (err) {
        reject(err as SwiftletError);
      }
    });
  });
}

function tooLarge(limit: number): SwiftletError {
  return new SwiftletError(
    'SWIFTLET_ERR_PAYLOAD_TOO_LARGE',
    `the body is larger than ${limit} bytes (server.bodyLimitBytes)`,
  );
}

/** Discards the rest of a request body so the connection can be reused. */
function drain(req: IncomingMessage): void {
  if (!req.readableEnded) req.resume();
}

/** Answers on a raw socket (an upgrade, or a request node:http refused) with an HTTP error and closes it. */
export function rejectUpgrade(socket: Duplex, err: SwiftletError): void {
  const body = JSON.stringify({ error: { code: err.code, message: publicMessage(err) } });
  const status = err.httpStatus;
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\n` +
      `content-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n` +
      (status === 401 ? 'www-authenticate: Bearer\r\n' : '') +
      (err.retryAfterMs === undefined ? '' : `retry-after: ${Math.max(1, Math.ceil(err.retryAfterMs / 1000))}\r\n`) +
      `\r\n${body}`,
  );
}
