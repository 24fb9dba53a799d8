// The helper processes of the `concurrency` scenario, each started with CONCURRENCY_CHILD_ENV holding a JSON
// `ConcurrencyChildSpec`:
//   http       the closed-loop load generator against a server's native API (ours, or --target)
//   inprocess  a contender (Swiftlet's runtime, the fetch loop) in this process, driven by the same closed loop
// Each prints JSON lines on stdout: `{"event":"ready"}` once set up, then the loop's events
// (bench/concurrency/loop.ts), the last one `{"event":"result", …}`.
import { mkdirSync } from 'node:fs';
import { Client, Pool } from 'undici';
import { SESSION_CONTENDERS } from '../session-contender.js';
import { turnInput } from '../workload.js';
import { closedLoop, type LoopEvent, type LoopParams, type TurnFn } from './loop.js';

export type ConcurrencyChildSpec =
  | {
      role: 'http';
      loop: LoopParams;
      origin: string;
      apiKey?: string;
      /** The final text a completed turn must answer; without it, any non-empty final text counts (--target). */
      expect?: string;
      /** A turn not answered within this long counts as a timeout. */
      turnTimeoutMs: number;
    }
  | {
      role: 'inprocess';
      loop: LoopParams;
      contender: 'swiftlet' | 'fetchLoop';
      mockUrl: string;
      dir: string;
      durability: 'durable' | 'relaxed';
    };

export type ChildEvent = { event: 'ready' } | LoopEvent;
/** The events before the result. */
export type ProgressEvent = Exclude<ChildEvent, { event: 'result' }>;

/** Sessions created at once through POST /v1/sessions. */
const CREATE_PARALLEL = 64;
/** How long closing the contender may take after the result before the process exits anyway. */
const EXIT_GRACE_MS = 3000;

export async function runConcurrencyChild(envValue: string, stdout: NodeJS.WritableStream): Promise<void> {
  const spec = JSON.parse(envValue) as ConcurrencyChildSpec;
  const emit = (e: ChildEvent): void => void stdout.write(JSON.stringify(e) + '\n');
  const driver = spec.role === 'http' ? await httpDriver(spec) : await inProcessDriver(spec);
  emit({ event: 'ready' });
  const result = await closedLoop(spec.loop, driver.turn, emit);
  emit({ event: 'result', result });
  // Turns left running after the drain must not keep the process alive; a normal exit still writes heap profiles.
  setTimeout(() => process.exit(0), EXIT_GRACE_MS).unref();
  await Promise.race([driver.close(), new Promise((resolve) => setTimeout(resolve, EXIT_GRACE_MS).unref())]);
}

interface Driver {
  turn: TurnFn;
  close(): Promise<void>;
}

async function httpDriver(spec: Extract<ConcurrencyChildSpec, { role: 'http' }>): Promise<Driver> {
  const users = spec.loop.users;
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (spec.apiKey !== undefined) headers.authorization = `Bearer ${spec.apiKey}`;
  const setup = new Pool(spec.origin, { connections: Math.min(CREATE_PARALLEL, users) });
  const ids = await createSessions(setup, headers, users).finally(() => setup.close());
  // One keep-alive connection per session, its own: a Pool of C connections would look for a free one on each
  // request, a cost that grows with C and that the generator, not the server, would pay.
  const clients = ids.map(
    () =>
      new Client(spec.origin, {
        keepAliveTimeout: 60_000,
        headersTimeout: spec.turnTimeoutMs,
        bodyTimeout: spec.turnTimeoutMs,
      }),
  );
  return {
    async turn(session, k) {
      const res = await clients[session]!.request({
        method: 'POST',
        path: `/v1/sessions/${ids[session]}/turns`,
        headers,
        body: JSON.stringify({ input: turnInput(k) }),
      });
      const text = await res.body.text();
      if (res.statusCode !== 200) return `http ${res.statusCode}`;
      let answer: { outcome?: unknown; text?: unknown };
      try {
        answer = JSON.parse(text) as typeof answer;
      } catch {
        return 'not JSON';
      }
      if (answer.outcome !== 'final') return `outcome ${String(answer.outcome)}`;
      if (typeof answer.text !== 'string' || answer.text === '') return 'empty answer';
      return spec.expect === undefined || answer.text === spec.expect ? true : 'wrong answer';
    },
    // Turns still running after the drain are cut off: the window is over and they are counted as unfinished.
    close: async () => void (await Promise.all(clients.map((c) => c.destroy()))),
  };
}

async function createSessions(pool: Pool, headers: Record<string, string>, n: number): Promise<string[]> {
  const ids: string[] = new Array<string>(n);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < n) {
      const i = next++;
      const res = await pool.request({ method: 'POST', path: '/v1/sessions', headers, body: '{}' });
      const text = await res.body.text();
      const id = res.statusCode === 201 ? (JSON.parse(text) as { id?: unknown }).id : undefined;
      if (typeof id !== 'string')
        throw new Error(`POST /v1/sessions answered ${res.statusCode}: ${text.slice(0, 300)}`);
      ids[i] = id;
    }
  };
  await Promise.all(Array.from({ length: Math.min(CREATE_PARALLEL, n) }, worker));
  return ids;
}

async function inProcessDriver(spec: Extract<ConcurrencyChildSpec, { role: 'inprocess' }>): Promise<Driver> {
  mkdirSync(spec.dir, { recursive: true });
  const contender = await SESSION_CONTENDERS[spec.contender]({
    mockUrl: spec.mockUrl,
    dir: spec.dir,
    store: 'sqlite',
    durability: spec.durability,
    // The provider's pool (and Swiftlet's turn limit) at least as large as the sessions in flight.
    connections: spec.loop.users,
  });
  return {
    turn: async (session, k) => ((await contender.turn(`c-${session}`, turnInput(k))) ? true : 'not as scripted'),
    close: () => contender.close(),
  };
}
