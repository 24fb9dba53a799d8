// The HTTP floor: the least an agent server must do per request, as a bare `node:http` server in its own process. It
// reads the JSON body, runs the same hand-written loop as the `turn` floor (two model calls through `undici.request`
// on a keep-alive Pool), appends the turn in ONE better-sqlite3 transaction and answers with JSON. Turns on one
// session run one at a time, as in any agent server; nothing else (no auth, limits, timeouts, logs or metrics).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Pool } from 'undici';
import { MODEL_IDS } from '../workload.js';
import { sqliteAppender } from './floor.js';
import { HandLoop, type ChatCompletion } from './loop.js';

export interface HttpFloorArgs {
  mockUrl: string;
  /** Where the SQLite file goes. */
  dir: string;
}

const TURNS_PATH = /^\/v1\/sessions\/([A-Za-z0-9_.:-]{1,128})\/turns$/;
const BODY_LIMIT = 1_048_576;
/** As many connections to the model as Swiftlet's providers open by default. */
const MODEL_CONNECTIONS = 64;

/** Runs in the helper process until SIGTERM; prints `{"url": …}` on stdout once it listens. */
export async function runHttpFloor(a: HttpFloorArgs): Promise<void> {
  const pool = new Pool(new URL(a.mockUrl).origin, { connections: MODEL_CONNECTIONS, keepAliveTimeout: 60_000 });
  const headers = { 'content-type': 'application/json', authorization: 'Bearer bench' };
  const loop = new HandLoop(MODEL_IDS.floor, async (body) => {
    const res = await pool.request({ method: 'POST', path: '/v1/chat/completions', headers, body });
    if (res.statusCode !== 200) throw new Error(`mock LLM answered ${res.statusCode}: ${await res.body.text()}`);
    return (await res.body.json()) as ChatCompletion;
  });
  const save = sqliteAppender(join(a.dir, 'http-floor.db'));
  const tails = new Map<string, Promise<unknown>>();

  const turn = async (sessionId: string, input: string): Promise<string | undefined> => {
    const added = await loop.turn(sessionId, input);
    if (added === undefined) return undefined;
    save.append(sessionId, added);
    const last = added.at(-1);
    return last?.role === 'assistant' ? (last.content ?? '') : undefined;
  };
  /** One turn at a time per session: each waits for the one before it. */
  const queued = (sessionId: string, input: string): Promise<string | undefined> => {
    const before = tails.get(sessionId) ?? Promise.resolve();
    const run = before.then(() => turn(sessionId, input));
    const tail = run.catch(() => undefined);
    tails.set(sessionId, tail);
    void tail.then(() => {
      if (tails.get(sessionId) === tail) tails.delete(sessionId);
    });
    return run;
  };

  const server = createServer({ keepAlive: true, noDelay: true }, (req, res) => {
    handle(req, res, queued).catch((err: unknown) => reply(res, 500, { error: String(err) }));
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  process.stdout.write(JSON.stringify({ url: `http://127.0.0.1:${port}` }) + '\n');

  await new Promise<void>((resolve) => process.once('SIGTERM', () => resolve()));
  server.close();
  server.closeAllConnections();
  await pool.close();
  save.close();
}

async function handle(
  req: IncomingMessage,
  res: ServerResponse,
  run: (sessionId: string, input: string) => Promise<string | undefined>,
): Promise<void> {
  if (req.method === 'GET' && req.url === '/memory') return reply(res, 200, process.memoryUsage());
  const m = req.method === 'POST' ? TURNS_PATH.exec(req.url ?? '') : null;
  if (m === null) return reply(res, 404, { error: 'not found' });
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > BODY_LIMIT) return reply(res, 413, { error: 'body too large' });
    chunks.push(chunk);
  }
  const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { input?: unknown };
  if (typeof body.input !== 'string') return reply(res, 400, { error: 'input: expected a string' });
  const sessionId = m[1]!;
  const text = await run(sessionId, body.input);
  if (text === undefined) return reply(res, 502, { error: 'the turn did not end as scripted' });
  reply(res, 200, { sessionId, text });
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  const json = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(json) });
  res.end(json);
}
