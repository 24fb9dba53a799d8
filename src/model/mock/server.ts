// The mock LLM: one node:http server, routes picked by a single map lookup, answers written in one piece when no
// delay or fault asks otherwise.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SwiftletError } from '../../core/index.js';
import { anthropic } from './anthropic.js';
import { control } from './control.js';
import { embeddings, getModel, listModels } from './embeddings.js';
import { Exchange } from './exchange.js';
import { openaiChat, openaiError } from './openai-chat.js';
import { createOpenaiResponses } from './openai-responses.js';
import { chooseReply, compileReply, type Reply } from './reply.js';
import type { MockFault, MockLlm, MockLlmOptions, MockRequestFormat, MockRequestRecord } from './types.js';
import { parseFaults, parseKnobs, type Knobs } from './validate.js';
import { JSON_HEADERS, type WireFormat } from './wire.js';
import { Waiters } from './waiters.js';

const MAX_RECORDS = 10_000;
const MAX_BODY_BYTES = 32 * 1024 * 1024;
/** Default of `maxLoggedBodyBytes`. */
const MAX_LOGGED_BODY_BYTES = 32 * 1024 * 1024;

export async function startMockLlm(options: MockLlmOptions = {}): Promise<MockLlm> {
  const mock = new MockLlmServer(options);
  await mock.listen(options.host ?? '127.0.0.1', options.port ?? 0);
  return mock;
}

class MockLlmServer implements MockLlm {
  readonly #server: Server;
  readonly #models: Record<string, WireFormat>;
  readonly #records: MockRequestRecord[] = [];
  /** Length of the raw body each record still holds (0 once dropped), in step with #records. */
  readonly #bodySizes: number[] = [];
  readonly #maxLoggedBodyBytes: number;
  #loggedBodyBytes = 0;
  /** Records before this index hold no body any more. */
  #firstWithBody = 0;
  readonly #waiters = new Waiters();
  readonly #changed = (record: MockRequestRecord): void => this.#waiters.check(record);
  #faults: MockFault[] = [];
  #script: Reply[] | undefined;
  #timing = { firstTokenMs: 0, tokenDelayMs: 0 };
  #outputTokens = 12;
  #nextId = 1;
  #requestCount = 0;
  #url = '';
  #port = 0;

  constructor(options: MockLlmOptions) {
    const { host: _h, port: _p, maxLoggedBodyBytes, ...knobs } = options;
    this.#maxLoggedBodyBytes = maxLoggedBodyBytes ?? MAX_LOGGED_BODY_BYTES;
    this.configure(knobs);
    const responses = createOpenaiResponses();
    this.#models = { '/v1/chat/completions': openaiChat, '/v1/responses': responses, '/v1/messages': anthropic };
    this.#server = createServer({ noDelay: true, keepAlive: true }, (req, res) => this.#handle(req, res));
    // Long keep-alive so that benchmark clients keep their pooled connections between bursts.
    this.#server.keepAliveTimeout = 65_000;
  }

  listen(host: string, port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const fail = (err: NodeJS.ErrnoException): void =>
        reject(
          err.code === 'EADDRINUSE'
            ? new SwiftletError(
                'SWIFTLET_ERR_PORT_IN_USE',
                `mock LLM cannot listen on ${host}:${port}: the port is in use`,
              )
            : new SwiftletError('SWIFTLET_ERR_INTERNAL', `mock LLM cannot listen on ${host}:${port}: ${err.message}`),
        );
      this.#server.once('error', fail);
      this.#server.listen(port, host, () => {
        this.#server.off('error', fail);
        const address = this.#server.address() as AddressInfo;
        this.#port = address.port;
        this.#url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
        resolve();
      });
    });
  }

  get url(): string {
    return this.#url;
  }
  get port(): number {
    return this.#port;
  }
  get requests(): readonly MockRequestRecord[] {
    return this.#records;
  }
  get requestCount(): number {
    return this.#requestCount;
  }

  configure(options: Knobs): void {
    const knobs = parseKnobs(options, 'options');
    if (knobs.firstTokenMs !== undefined) this.#timing.firstTokenMs = knobs.firstTokenMs;
    if (knobs.tokenDelayMs !== undefined) this.#timing.tokenDelayMs = knobs.tokenDelayMs;
    if (knobs.outputTokens !== undefined) this.#outputTokens = knobs.outputTokens;
    if (knobs.script !== undefined) this.#script = knobs.script.map(compileReply);
    if (knobs.faults !== undefined) this.#faults = knobs.faults;
  }

  injectFault(...faults: MockFault[]): void {
    this.#faults.push(...parseFaults(faults));
  }

  waitFor(predicate: (r: MockRequestRecord) => boolean, timeoutMs = 5000): Promise<MockRequestRecord> {
    return this.#waiters.add(predicate, timeoutMs, this.#records);
  }

  reset(): void {
    this.#records.length = 0;
    this.#bodySizes.length = 0;
    this.#loggedBodyBytes = 0;
    this.#firstWithBody = 0;
    this.#faults = [];
    this.#nextId = 1;
    this.#requestCount = 0;
    for (const format of Object.values(this.#models)) format.reset?.();
  }

  close(): Promise<void> {
    this.#waiters.closeAll();
    return new Promise((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
  }

  /** Characters of request bodies the log holds (at most `maxLoggedBodyBytes`, besides the newest request's). */
  get loggedBodyBytes(): number {
    return this.#loggedBodyBytes;
  }

  /** For the control API. */
  get state(): { count: number; faults: number; records: readonly MockRequestRecord[] } {
    return { count: this.#requestCount, faults: this.#faults.length, records: this.#records };
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const startedAt = Date.now();
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    readBody(req, res, (raw) => {
      if (path.startsWith('/_mock/')) return control(this, req.method ?? 'GET', path, raw, res);
      const model = req.method === 'POST' ? this.#models[path] : undefined;
      if (model !== undefined) return this.#model(model, path, raw, startedAt, res);
      const record = this.#record(path, 'other', raw, startedAt, raw.length);
      const exchange = new Exchange(res, record, this.#changed);
      if (req.method === 'POST' && path === '/v1/embeddings') {
        record.format = 'embeddings';
        const body = parseJson(raw);
        record.body = body ?? raw;
        const answer =
          body === undefined
            ? { status: 400, body: openaiError(400, 'Could not parse the JSON body.') }
            : embeddings(body);
        if (answer.model !== undefined) record.model = answer.model;
        return exchange.send(answer.status, JSON_HEADERS, answer.body);
      }
      if (req.method === 'GET' && path.startsWith('/v1/models')) {
        record.format = 'models';
        const id = path.length > '/v1/models/'.length ? decodeURIComponent(path.slice('/v1/models/'.length)) : '';
        const body = id === '' ? listModels(req.headers['anthropic-version'] !== undefined) : getModel(id);
        return exchange.send(200, JSON_HEADERS, body);
      }
      const message = `Unknown request URL: ${req.method ?? ''} ${path}.`;
      exchange.send(
        404,
        JSON_HEADERS,
        JSON.stringify({ error: { message, type: 'invalid_request_error', param: null, code: 'unknown_url' } }),
      );
    });
  }

  #model(format: WireFormat, path: string, raw: string, startedAt: number, res: ServerResponse): void {
    this.#requestCount++;
    const body = parseJson(raw);
    const record = this.#record(path, format.format, body ?? raw, startedAt, raw.length);
    const exchange = new Exchange(res, record, this.#changed);
    if (body === undefined)
      return exchange.send(400, JSON_HEADERS, format.error(400, 'Could not parse the JSON body.'));
    const turn = format.parse(body, record.id);
    if ('error' in turn) return exchange.send(400, JSON_HEADERS, format.error(400, turn.error, turn.param));
    record.model = turn.model;
    record.stream = turn.stream;
    const fault = this.#faults.shift();
    if (fault !== undefined) record.fault = fault.kind;
    this.#changed(record);
    if (fault?.kind === 'status') {
      const headers =
        fault.retryAfterSec === undefined
          ? JSON_HEADERS
          : { ...JSON_HEADERS, 'retry-after': String(fault.retryAfterSec) };
      return exchange.send(
        fault.status,
        headers,
        fault.body ?? format.error(fault.status, statusMessage(fault.status)),
      );
    }
    if (fault?.kind === 'hang') return exchange.hang();
    const reply = chooseReply(turn, this.#script, this.#outputTokens);
    const cut = fault === undefined ? undefined : { afterTokens: fault.afterTokens, then: fault.kind };
    if (turn.stream) return exchange.stream(format.stream(turn, reply, record.id), this.#timing, cut);
    const json = format.json(turn, reply, record.id);
    if (cut === undefined) return exchange.send(200, JSON_HEADERS, json, this.#timing.firstTokenMs);
    exchange.sendPartial(json, cut.then, this.#timing.firstTokenMs);
  }

  /**
   * Logs a request. The log is bounded in records and in body size: past `maxLoggedBodyBytes`, the oldest records
   * lose their bodies (a turn's requests repeat its whole history, so bodies grow with every step).
   */
  #record(path: string, format: MockRequestFormat, body: unknown, startedAt: number, size: number): MockRequestRecord {
    const record: MockRequestRecord = {
      id: this.#nextId++,
      path,
      format,
      stream: false,
      body,
      startedAt,
      clientClosed: false,
    };
    const records = this.#records;
    const sizes = this.#bodySizes;
    records.push(record);
    sizes.push(size);
    this.#loggedBodyBytes += size;
    if (records.length > MAX_RECORDS) {
      records.shift();
      this.#loggedBodyBytes -= sizes.shift()!;
      if (this.#firstWithBody > 0) this.#firstWithBody--;
    }
    // The newest record keeps its body whatever its size: tests and the control API read the last request.
    while (this.#loggedBodyBytes > this.#maxLoggedBodyBytes && this.#firstWithBody < records.length - 1) {
      const i = this.#firstWithBody++;
      delete records[i]!.body;
      this.#loggedBodyBytes -= sizes[i]!;
      sizes[i] = 0;
    }
    return record;
  }
}

function statusMessage(status: number): string {
  if (status === 429) return 'Rate limit reached (mock). Please try again later.';
  if (status >= 500) return `The server had an error while processing your request (mock ${status}).`;
  return `Request failed with status ${status} (mock).`;
}

function parseJson(raw: string): unknown {
  if (raw === '') return undefined;
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return undefined;
  }
}

function readBody(req: IncomingMessage, res: ServerResponse, done: (raw: string) => void): void {
  const chunks: Buffer[] = [];
  let size = 0;
  req.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size <= MAX_BODY_BYTES) chunks.push(chunk);
  });
  req.on('end', () => {
    if (size > MAX_BODY_BYTES) {
      res.writeHead(413, JSON_HEADERS).end(openaiError(413, `Request body larger than ${MAX_BODY_BYTES} bytes.`));
      return;
    }
    done(chunks.length === 1 ? (chunks[0] as Buffer).toString() : Buffer.concat(chunks).toString());
  });
}
