// The servers under load: `swiftlet serve` with a generated config (the `turn` agent, durable SQLite by default or a
// fresh PostgreSQL schema) and the HTTP floor. Each reports its resident memory (and heap, when it can tell).
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Pool } from 'undici';
import type { CliSpec } from '../child.js';
import { rssBytes } from '../proc.js';
import { CHILD_ENV, type ChildSpec } from '../roles.js';
import { HISTORY_WINDOW, INSTRUCTIONS, MAX_STEPS, MODEL_IDS } from '../workload.js';
import { startUrlProcess, type UrlProc } from './processes.js';

export const PG_URL = 'postgres://postgres@127.0.0.1:5432/test';

export interface ServerSpec {
  mockUrl: string;
  dir: string;
  store: 'sqlite' | 'postgres';
  durability: 'durable' | 'relaxed';
  /** Write a V8 CPU profile of the server into this directory when it stops. */
  cpuProfDir?: string;
  /** Write a V8 sampling heap profile of the server into this directory when it stops. */
  heapProfDir?: string;
  /** Turns in flight at once: limits.maxConcurrentTurns and server.maxConcurrentTurns raised to at least this. */
  maxTurns?: number;
  /** The provider's keep-alive connections to the mock (providers.mock.maxConnections; the config default is 64). */
  modelConnections?: number;
}

/** The node flags that make a server write the profiles `s` asks for when it stops. */
export function profileFlags(s: Pick<ServerSpec, 'cpuProfDir' | 'heapProfDir'>): string[] {
  return [
    ...(s.cpuProfDir === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', s.cpuProfDir]),
    ...(s.heapProfDir === undefined ? [] : ['--heap-prof', '--heap-prof-dir', s.heapProfDir]),
  ];
}

export interface ServerProc extends UrlProc {
  /** Resident memory and V8 heap in bytes; NaN when unknown. */
  memory(): Promise<{ rssBytes: number; heapUsedBytes: number }>;
}

/** A unique schema name, so runs never meet each other's tables; dropped by `dropSchema`. */
export function benchSchema(): string {
  return `swiftlet_bench_${process.pid}_${randomBytes(4).toString('hex')}`;
}

export function serverConfig(s: ServerSpec, schema?: string): object {
  const storage =
    s.store === 'sqlite'
      ? { driver: 'sqlite', path: join(s.dir, 'swiftlet.db'), durability: s.durability }
      : { driver: 'postgres', url: PG_URL, schema, durability: s.durability };
  const mock = { type: 'openai', baseUrl: `${s.mockUrl}/v1`, apiKey: 'bench', retries: { max: 0 } };
  return {
    providers: { mock: s.modelConnections === undefined ? mock : { ...mock, maxConnections: s.modelConnections } },
    agents: {
      assistant: {
        model: `mock/${MODEL_IDS.swiftlet}`,
        instructions: INSTRUCTIONS,
        tools: ['current_time'],
        historyWindow: HISTORY_WINDOW,
        maxSteps: MAX_STEPS,
      },
    },
    storage,
    ...(s.maxTurns === undefined ? {} : { limits: { maxConcurrentTurns: Math.max(256, s.maxTurns) } }),
    server: { metrics: true, ...(s.maxTurns === undefined ? {} : { maxConcurrentTurns: Math.max(1024, s.maxTurns) }) },
  };
}

export async function startSwiftletServer(cli: CliSpec, s: ServerSpec, schema?: string): Promise<ServerProc> {
  const file = join(s.dir, 'swiftlet.yaml');
  // JSON is YAML (flow style): the server parses it as it parses any swiftlet.yaml.
  writeFileSync(file, JSON.stringify(serverConfig(s, schema), null, 2));
  const proc = await startUrlProcess(cli, ['serve', '--config', file, '--port', '0', '--log-level', 'warn', '--json'], {
    name: `swiftlet serve (${s.store} ${s.durability})`,
    nodeFlags: profileFlags(s),
  });
  const metrics = attachServer(proc.url, undefined);
  return {
    ...proc,
    memory: () => metrics.memory(),
    async close() {
      await metrics.close();
      await proc.close();
    },
  };
}

export async function startFloorServer(
  cli: CliSpec,
  s: Pick<ServerSpec, 'mockUrl' | 'dir' | 'cpuProfDir' | 'heapProfDir'>,
): Promise<ServerProc> {
  const spec: ChildSpec = { role: 'http-floor', args: { mockUrl: s.mockUrl, dir: s.dir } };
  const proc = await startUrlProcess(cli, ['bench', 'http-floor'], {
    name: 'the HTTP floor',
    nodeFlags: profileFlags(s),
    env: { ...process.env, [CHILD_ENV]: JSON.stringify(spec) },
  });
  const pool = new Pool(proc.url, { connections: 1 });
  return {
    ...proc,
    async memory() {
      const res = await pool.request({ method: 'GET', path: '/memory' });
      const usage = (await res.body.json()) as { heapUsed: number };
      return { rssBytes: rssBytes(proc.pid), heapUsedBytes: usage.heapUsed };
    },
    async close() {
      await pool.close();
      await proc.close();
    },
  };
}

/**
 * A server someone else started (`--target`): memory from its /metrics gauges (NaN when metrics are off), CPU unknown
 * (no pid), and closing it only lets go of it.
 */
export function attachServer(url: string, apiKey: string | undefined): ServerProc {
  const pool = new Pool(url, { connections: 1 });
  return {
    url,
    pid: Number.NaN,
    async memory() {
      const res = await pool.request({ method: 'GET', path: '/metrics', headers: authHeaders(apiKey) });
      const text = await res.body.text();
      const gauge = (name: string): number => {
        const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
        return res.statusCode === 200 && m ? Number(m[1]) : Number.NaN;
      };
      return {
        rssBytes: gauge('swiftlet_process_resident_memory_bytes'),
        heapUsedBytes: gauge('swiftlet_process_heap_used_bytes'),
      };
    },
    close: () => pool.close(),
  };
}

/** The agent a `--target` server answers OpenAI-compatible requests with: the first of its `GET /v1/models`. */
export async function firstModel(url: string, apiKey: string | undefined): Promise<string> {
  const pool = new Pool(url, { connections: 1 });
  try {
    const res = await pool.request({ method: 'GET', path: '/v1/models', headers: authHeaders(apiKey) });
    const body = (await res.body.json()) as { data?: { id?: unknown }[] };
    const id = body.data?.[0]?.id;
    if (res.statusCode !== 200 || typeof id !== 'string') {
      throw new Error(`GET /v1/models answered ${res.statusCode}: ${JSON.stringify(body).slice(0, 300)}`);
    }
    return id;
  } finally {
    await pool.close();
  }
}

function authHeaders(apiKey: string | undefined): Record<string, string> {
  return apiKey === undefined ? {} : { authorization: `Bearer ${apiKey}` };
}

/**
 * Creates `n` sessions through the native API (turns on the native route need an existing session), for `agent`, or
 * the server's default agent.
 */
export async function createSessions(
  url: string,
  n: number,
  o: { agent?: string; apiKey?: string } = { agent: 'assistant' },
): Promise<string[]> {
  const pool = new Pool(url, { connections: 8 });
  try {
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      const res = await pool.request({
        method: 'POST',
        path: '/v1/sessions',
        headers: { 'content-type': 'application/json', ...authHeaders(o.apiKey) },
        body: JSON.stringify(o.agent === undefined ? {} : { agent: o.agent }),
      });
      const body = (await res.body.json()) as { id?: string };
      if (res.statusCode !== 201 || typeof body.id !== 'string') {
        throw new Error(`POST /v1/sessions answered ${res.statusCode}: ${JSON.stringify(body)}`);
      }
      ids.push(body.id);
    }
    return ids;
  } finally {
    await pool.close();
  }
}

export async function dropSchema(schema: string): Promise<void> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}
