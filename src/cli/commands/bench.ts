import { mkdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { SwiftletError } from '../../core/index.js';
import { EXIT, intOpt, stringOpt, type Command, type CommandContext } from '../command.js';
import { BROKER_HELP } from './bench-help/broker.js';
import { CONCURRENCY_HELP } from './bench-help/concurrency.js';
import { HTTP_HELP } from './bench-help/http.js';
import { OUTPUT_HELP } from './bench-help/output.js';
import { SESSIONS_HELP } from './bench-help/sessions.js';
import { STARTUP_HELP } from './bench-help/startup.js';
import { TURN_HELP } from './bench-help/turn.js';
import { WRITES_HELP } from './bench-help/writes.js';

/** Scenarios named by DESIGN.md that `swiftlet bench` does not run yet (their issues add them). */
const COMING = ['memory', 'worker'];
const SCENARIOS = ['turn', 'http', 'concurrency', 'sessions', 'startup', 'writes', 'broker'] as const;
type Scenario = (typeof SCENARIOS)[number];

/** The shape of bench/index.ts, which lives outside src/ (it is not part of the library or its published types). */
export interface BenchModule {
  /**
   * When the environment says this process is a helper of a running benchmark (the memory probe, the HTTP floor,
   * the load generator), runs that role to its end and resolves true; otherwise resolves false at once.
   */
  child(env: NodeJS.ProcessEnv, stdout: NodeJS.WritableStream): Promise<boolean>;
  run(spec: ScenarioOptions, onProgress?: (line: string) => void): Promise<BenchOutcome>;
}

export type ScenarioOptions =
  | { scenario: 'turn'; options: TurnOptions }
  | { scenario: 'http'; options: HttpOptions }
  | { scenario: 'concurrency'; options: ConcurrencyOptions }
  | { scenario: 'sessions'; options: SessionsOptions }
  | { scenario: 'startup'; options: StartupOptions }
  | { scenario: 'writes'; options: WritesOptions }
  | { scenario: 'broker'; options: BrokerOptions };

/** Set by --memory-profile: V8 sampling heap profiles of the benchmark's Swiftlet processes go here. */
interface Profiles {
  heapProfDir?: string;
}

export interface TurnOptions extends Profiles {
  turns: number;
  runs: number;
  warmup: number;
  sessions: number;
  memSessions: number;
  store: 'sqlite' | 'memory';
  durability: 'durable' | 'relaxed';
}

export interface HttpOptions extends Profiles {
  rateStart: number;
  rateStep: number;
  stepSeconds: number;
  steps: number;
  llmLatencyMs: number;
  durability: 'durable' | 'relaxed' | 'both';
  store: 'sqlite' | 'postgres';
  sessions: number;
  overheadRate: number;
  overheadSeconds: number;
  maxSeconds: number;
  cpuProfDir?: string;
  /** A running server to measure (its native and OpenAI-compatible APIs) instead of spawning one and the floor. */
  target?: string;
  /** Bearer key for --target (SWIFTLET_API_KEY). */
  apiKey?: string;
}

export interface ConcurrencyOptions extends Profiles {
  cpuProfDir?: string;
  /** Sessions in flight, one measured level each. */
  users: number[];
  durationSeconds: number;
  llmLatencyMs: number;
  store: 'sqlite' | 'postgres';
  durability: 'durable' | 'relaxed';
  /** A running server to measure instead of spawning one (and instead of the in-process contenders). */
  target?: string;
  /** Bearer key for --target (SWIFTLET_API_KEY). */
  apiKey?: string;
}

export interface SessionsOptions extends Profiles {
  sessions: number;
  messages: number;
  touchPercent: number;
  touchTurns: number;
  idleSeconds: number;
  store: 'sqlite' | 'postgres';
}

export interface StartupOptions extends Profiles {
  runs: number;
  idleSeconds: number;
}

export interface WritesOptions {
  users: number;
  turns: number;
  store: 'sqlite' | 'postgres';
  durability: 'durable' | 'relaxed' | 'both';
}

export interface BrokerOptions {
  /** Throughput measurements: measured tasks (broadcasts: child tasks). */
  tasks: number;
  /** Latency and slow-consumer measurements: measured seconds at --rate. */
  durationSeconds: number;
  /** Offered tasks per second of the latency and slow-consumer measurements. */
  rate: number;
  subscribers: number;
  /** Tasks each subscriber holds at once. */
  concurrency: number;
  runs: number;
  /** all: SQLite, gRPC consumers, PostgreSQL and NATS; both: SQLite and PostgreSQL. */
  store: 'all' | 'both' | 'sqlite' | 'grpc' | 'postgres' | 'nats';
  postgresUrl: string;
  natsUrl: string;
  /** Also measure graphile-worker (on postgresUrl) and BullMQ (on redisUrl), installed into bench/peers. */
  peers: boolean;
  redisUrl: string;
  cpuProfDir?: string;
}

/** Redis for `broker --peers` (BullMQ). */
const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

/** NATS for `broker` unless --nats-url names another. */
const DEFAULT_NATS_URL = 'nats://127.0.0.1:4222';

/** PostgreSQL for `broker` unless --postgres-url names another. */
const DEFAULT_POSTGRES_URL = 'postgres://postgres@127.0.0.1:5432/test';

export interface BenchOutcome {
  json: unknown;
  table: string;
  /** Every offered turn completed (turn, writes), every low-rate request completed (http), every start-up worked. */
  complete: boolean;
}

/** Options each scenario takes (--json and --config are global). */
const ACCEPTS: Record<Scenario, readonly string[]> = {
  turn: ['turns', 'runs', 'warmup', 'users', 'sessions', 'mem-sessions', 'store', 'durability', 'memory-profile'],
  http: [
    'rate',
    'rate-start',
    'rate-step',
    'duration',
    'step-seconds',
    'steps',
    'llm-latency',
    'durability',
    'store',
    'users',
    'sessions',
    'overhead-rate',
    'overhead-seconds',
    'max-seconds',
    'target',
    'cpu-prof',
    'memory-profile',
  ],
  concurrency: ['users', 'duration', 'llm-latency', 'store', 'durability', 'target', 'cpu-prof', 'memory-profile'],
  sessions: ['sessions', 'messages', 'touch-percent', 'touch-turns', 'idle-seconds', 'store', 'memory-profile'],
  startup: ['runs', 'idle-seconds', 'memory-profile'],
  writes: ['users', 'turns', 'store', 'durability'],
  broker: [
    'tasks',
    'duration',
    'rate',
    'subscribers',
    'concurrency',
    'runs',
    'store',
    'postgres-url',
    'nats-url',
    'peers',
    'cpu-prof',
  ],
};

async function loadBench(): Promise<BenchModule> {
  // The cast hides the path from tsc, whose declaration build covers src/ only; esbuild still bundles the module.
  return ((await import('../../../bench/index.js' as string)) as { default: BenchModule }).default;
}

const n = (description: string): { type: 'string'; description: string; valueName: string } => ({
  type: 'string',
  description,
  valueName: 'n',
});

const DETAILS = [
  `Scenarios:
  turn          overhead per turn, in-process, against a fetch loop and a floor
  http          throughput through the HTTP APIs at rising offered load, up to the knee; overhead against a floor
  concurrency   many sessions in flight at once at a slow LLM: turns/s, latency, peak memory
  sessions      many stored idle sessions: server memory, database size, hot-cache hit rate when some come back
  startup       time to ready, idle memory, --version time, size of the production dependencies
  writes        store transactions per turn under rapid turns, durable and relaxed
  broker        tasks delivered and completed per second through the task bus, latency, broadcast, a slow
                consumer; durable SQLite and PostgreSQL, against a floor of bare prepared statements
  ${COMING.join(', ')}: not yet

Common options: --users, --duration, --rate, --llm-latency, --store, --durability, --target and --memory-profile
mean the same in every scenario that takes them (the option list says which); a scenario refuses the others.
--memory-profile writes V8 sampling heap profiles (.heapprofile, open in Chrome DevTools) of the Swiftlet
processes the scenario starts into swiftlet-bench-profiles/<scenario>-<time>/ and prints that path.
`,
  TURN_HELP,
  HTTP_HELP,
  CONCURRENCY_HELP,
  SESSIONS_HELP,
  STARTUP_HELP,
  WRITES_HELP,
  BROKER_HELP,
  OUTPUT_HELP,
].join('\n');

const command: Command = {
  name: 'bench',
  summary: 'Measures Swiftlet against hand-written baselines on the mock LLM and prints the figures.',
  usage: `bench <${SCENARIOS.join('|')}> [options] [--json [file]]`,
  options: {
    users: {
      type: 'string',
      description:
        'concurrency: sessions in flight, a comma-separated list of levels (default 1000,10000); writes: sessions ' +
        'at once (default 50); turn, http: the same as --sessions',
      valueName: 'n[,n…]',
    },
    duration: n(
      'concurrency: measured seconds per level (default 20); http: the same as --step-seconds; broker: measured ' +
        'seconds of the latency and slow-consumer measurements (default 5)',
    ),
    rate: n(
      'http: offered requests per second of the first ladder step and the increase per step; broker: offered ' +
        'tasks per second of the latency and slow-consumer measurements (default 500)',
    ),
    tasks: n('broker: measured tasks of each throughput measurement (default 20000)'),
    subscribers: n('broker: subscribers (agents) of the direct and slow-consumer measurements (default 10)'),
    concurrency: n('broker: tasks each subscriber holds at once (default 4, as agents.<name>.maxConcurrentTasks)'),
    'postgres-url': {
      type: 'string',
      description: `broker: PostgreSQL to measure on, in a fresh schema dropped afterwards (default ${DEFAULT_POSTGRES_URL})`,
      valueName: 'url',
    },
    peers: {
      type: 'boolean',
      description:
        'broker: also measure graphile-worker (PostgreSQL) and BullMQ (Redis at 127.0.0.1:6379) the same way, ' +
        'installed into bench/peers (npm ci when missing)',
    },
    'nats-url': {
      type: 'string',
      description: `broker: NATS JetStream to measure the bus on, and raw JetStream beside it, in streams deleted afterwards (default ${DEFAULT_NATS_URL})`,
      valueName: 'url',
    },
    target: {
      type: 'string',
      description: 'concurrency, http: measure this running Swiftlet server (base URL) instead of starting one',
      valueName: 'url',
    },
    'memory-profile': {
      type: 'boolean',
      description: "write V8 heap profiles of the scenario's Swiftlet processes (see below)",
    },
    turns: {
      ...n('turn: measured turns per contender per run (default 2000); writes: turns per session (default 40)'),
      short: 'n',
    },
    runs: {
      ...n('turn, broker: independent runs (default 3); startup: timed starts and --version runs (default 20)'),
      short: 'r',
    },
    warmup: n('turn: unmeasured turns per contender before each run (default 300)'),
    sessions: n(
      'turn: sessions the turns rotate over (default 10); http: sessions per target (default 200); sessions: ' +
        'stored sessions (default 100000)',
    ),
    'mem-sessions': n('turn: sessions for the memory figures, 0 to skip (default 4000)'),
    messages: n('sessions: messages per stored session (default 10)'),
    'touch-percent': n('sessions: percent of the stored sessions that come back (default 1)'),
    'touch-turns': n('sessions: turns per session that comes back (default 3)'),
    store: {
      type: 'string',
      description:
        'turn: sqlite (default) or memory; http, concurrency, sessions, writes: sqlite (default) or postgres ' +
        '(127.0.0.1:5432, db test, a fresh schema dropped afterwards); broker: all (default: SQLite, consumers ' +
        'over gRPC, PostgreSQL and NATS), both (SQLite and PostgreSQL), sqlite, grpc, postgres or nats',
      valueName: 'store',
    },
    durability: {
      type: 'string',
      description: "Swiftlet's durability: durable (default) or relaxed; http and writes also take both",
      valueName: 'mode',
    },
    'llm-latency': {
      type: 'string',
      description: 'http: mock LLM latency per call (default 0); concurrency: (default 500)',
      valueName: 'ms',
    },
    'rate-start': n('http: first offered rate, requests per second (default 200)'),
    'rate-step': n('http: added to the rate at each step (default 200)'),
    'step-seconds': n('http: seconds per step (default 3)'),
    steps: n('http: rates on the ladder at most (default 30)'),
    'overhead-rate': n('http: the low fixed rate of the overhead figures (default 50)'),
    'overhead-seconds': n('http: seconds per target at that rate (default 6)'),
    'max-seconds': n('http: no ladder step that could end later than this many seconds into the run (default 180)'),
    'cpu-prof': {
      type: 'string',
      description:
        "http, concurrency, broker: write V8 CPU profiles of the scenario's Swiftlet processes into this directory",
      valueName: 'dir',
    },
    'idle-seconds': n(
      'startup: seconds the server idles before its memory is read (default 10); sessions: (default 10)',
    ),
  },
  details: DETAILS,
  async run(ctx) {
    const bench = await loadBench();
    if (await bench.child(process.env, ctx.stdout)) return EXIT.ok;
    const [name, file, ...extra] = ctx.positionals;
    if (name === undefined)
      throw usage(`name a scenario: swiftlet bench ${SCENARIOS.join('|')} (see swiftlet bench --help)`);
    if (!(SCENARIOS as readonly string[]).includes(name)) {
      const why = COMING.includes(name) ? 'is not available yet' : 'is unknown';
      throw usage(`scenario "${name}" ${why}; available: ${SCENARIOS.join(', ')}`);
    }
    const scenario = name as Scenario;
    if (extra.length > 0 || (file !== undefined && !ctx.json)) {
      throw usage(`unexpected argument "${[file, ...extra].filter(Boolean).join(' ')}"`);
    }
    for (const key of Object.keys(ctx.values)) {
      if (key in command.options && !ACCEPTS[scenario].includes(key)) {
        throw usage(`--${key} does not apply to the ${scenario} scenario`);
      }
    }
    const options = scenarioOptions(scenario, ctx);
    const progress = ctx.stderr.isTTY ? progressWriter(ctx) : undefined;
    let outcome: BenchOutcome;
    try {
      outcome = await bench.run(options, progress?.update);
    } finally {
      progress?.clear();
    }
    const json = JSON.stringify(outcome.json, null, 2) + '\n';
    if (ctx.json && file === undefined) ctx.stdout.write(json);
    else {
      if (file !== undefined) writeFileSync(file, json);
      ctx.stdout.write(outcome.table);
    }
    const heapDir = (options.options as Profiles).heapProfDir;
    if (heapDir !== undefined) ctx.stderr.write(`heap profiles: ${heapDir}\n`);
    return outcome.complete ? EXIT.ok : EXIT.failed;
  },
};

function scenarioOptions(scenario: Scenario, ctx: CommandContext): ScenarioOptions {
  switch (scenario) {
    case 'turn':
      return { scenario, options: { ...turnOptions(ctx), ...profiles(ctx, scenario) } };
    case 'http':
      return { scenario, options: { ...httpOptions(ctx), ...profiles(ctx, scenario) } };
    case 'concurrency':
      return { scenario, options: { ...concurrencyOptions(ctx), ...profiles(ctx, scenario) } };
    case 'sessions':
      return { scenario, options: { ...sessionsOptions(ctx), ...profiles(ctx, scenario) } };
    case 'startup':
      return { scenario, options: { ...startupOptions(ctx), ...profiles(ctx, scenario) } };
    case 'writes':
      return { scenario, options: writesOptions(ctx) };
    case 'broker':
      return { scenario, options: brokerOptions(ctx) };
  }
}

function positive(ctx: CommandContext, name: string, fallback: number): number {
  const value = intOpt(ctx.values, name, fallback)!;
  if (value === 0) throw usage(`--${name}: expected at least 1`);
  return value;
}

/** The first of several flags that was given (`--users` before `--sessions`, say), else the fallback. */
function positiveOf(ctx: CommandContext, names: readonly string[], fallback: number): number {
  const given = names.find((name) => ctx.values[name] !== undefined);
  return given === undefined ? fallback : positive(ctx, given, fallback);
}

function oneOf<T extends string>(ctx: CommandContext, name: string, allowed: readonly T[]): T {
  const value = stringOpt(ctx.values, name) ?? allowed[0]!;
  if (!(allowed as readonly string[]).includes(value)) {
    throw usage(`--${name}: expected ${allowed.join(' or ')}, got "${value}"`);
  }
  return value as T;
}

function profiles(ctx: CommandContext, scenario: Scenario): Profiles {
  if (ctx.values['memory-profile'] !== true) return {};
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const heapProfDir = resolve('swiftlet-bench-profiles', `${scenario}-${stamp}`);
  mkdirSync(heapProfDir, { recursive: true });
  return { heapProfDir };
}

function turnOptions(ctx: CommandContext): TurnOptions {
  return {
    turns: positive(ctx, 'turns', 2000),
    runs: positive(ctx, 'runs', 3),
    warmup: intOpt(ctx.values, 'warmup', 300)!,
    sessions: positiveOf(ctx, ['users', 'sessions'], 10),
    memSessions: intOpt(ctx.values, 'mem-sessions', 4000)!,
    store: oneOf(ctx, 'store', ['sqlite', 'memory'] as const),
    durability: oneOf(ctx, 'durability', ['durable', 'relaxed'] as const),
  };
}

function cpuProf(ctx: CommandContext): { cpuProfDir?: string } {
  const dir = stringOpt(ctx.values, 'cpu-prof');
  return dir === undefined ? {} : { cpuProfDir: resolve(dir) };
}

function httpOptions(ctx: CommandContext): HttpOptions {
  const target = targetOpt(ctx);
  if (target !== undefined) {
    // These describe the processes the scenario would start; a running server has its own.
    for (const name of ['llm-latency', 'durability', 'store', 'cpu-prof', 'memory-profile']) {
      if (ctx.values[name] !== undefined) throw usage(`--${name} does not apply with --target (the server is yours)`);
    }
  }
  const apiKey = process.env.SWIFTLET_API_KEY;
  return {
    ...(target === undefined ? {} : { target }),
    ...(target !== undefined && apiKey ? { apiKey } : {}),
    rateStart: positiveOf(ctx, ['rate', 'rate-start'], 200),
    rateStep: positiveOf(ctx, ['rate', 'rate-step'], 200),
    stepSeconds: positiveOf(ctx, ['duration', 'step-seconds'], 3),
    steps: positive(ctx, 'steps', 30),
    llmLatencyMs: intOpt(ctx.values, 'llm-latency', 0)!,
    durability: oneOf(ctx, 'durability', ['durable', 'relaxed', 'both'] as const),
    store: oneOf(ctx, 'store', ['sqlite', 'postgres'] as const),
    sessions: positiveOf(ctx, ['users', 'sessions'], 200),
    overheadRate: positive(ctx, 'overhead-rate', 50),
    overheadSeconds: positive(ctx, 'overhead-seconds', 6),
    maxSeconds: positive(ctx, 'max-seconds', 180),
    ...cpuProf(ctx),
  };
}

function concurrencyOptions(ctx: CommandContext): ConcurrencyOptions {
  const raw = stringOpt(ctx.values, 'users') ?? '1000,10000';
  const users = raw.split(',').map((part) => Number(part.trim()));
  if (users.length === 0 || users.some((u) => !Number.isInteger(u) || u < 1)) {
    throw usage(`--users: expected positive integers separated by commas, got "${raw}"`);
  }
  const target = targetOpt(ctx);
  const apiKey = process.env.SWIFTLET_API_KEY;
  return {
    users,
    durationSeconds: positive(ctx, 'duration', 20),
    llmLatencyMs: intOpt(ctx.values, 'llm-latency', 500)!,
    store: oneOf(ctx, 'store', ['sqlite', 'postgres'] as const),
    durability: oneOf(ctx, 'durability', ['durable', 'relaxed'] as const),
    ...cpuProf(ctx),
    ...(target === undefined ? {} : { target }),
    ...(target !== undefined && apiKey ? { apiKey } : {}),
  };
}

/** --target as a base URL without its trailing slashes. */
function targetOpt(ctx: CommandContext): string | undefined {
  const target = stringOpt(ctx.values, 'target');
  if (target !== undefined && !/^https?:\/\/[^/]+/.test(target)) {
    throw usage(`--target: expected an http:// or https:// base URL, got "${target}"`);
  }
  return target?.replace(/\/+$/, '');
}

function sessionsOptions(ctx: CommandContext): SessionsOptions {
  const touchPercent = positive(ctx, 'touch-percent', 1);
  if (touchPercent > 100) throw usage(`--touch-percent: expected at most 100, got ${touchPercent}`);
  return {
    sessions: positive(ctx, 'sessions', 100_000),
    messages: positive(ctx, 'messages', 10),
    touchPercent,
    touchTurns: positive(ctx, 'touch-turns', 3),
    idleSeconds: intOpt(ctx.values, 'idle-seconds', 10)!,
    store: oneOf(ctx, 'store', ['sqlite', 'postgres'] as const),
  };
}

function startupOptions(ctx: CommandContext): StartupOptions {
  return { runs: positive(ctx, 'runs', 20), idleSeconds: intOpt(ctx.values, 'idle-seconds', 10)! };
}

function writesOptions(ctx: CommandContext): WritesOptions {
  return {
    users: positive(ctx, 'users', 50),
    turns: positive(ctx, 'turns', 40),
    store: oneOf(ctx, 'store', ['sqlite', 'postgres'] as const),
    durability: oneOf(ctx, 'durability', ['both', 'durable', 'relaxed'] as const),
  };
}

function brokerOptions(ctx: CommandContext): BrokerOptions {
  const url = stringOpt(ctx.values, 'postgres-url') ?? DEFAULT_POSTGRES_URL;
  if (!/^postgres(ql)?:\/\//.test(url)) throw usage(`--postgres-url: expected a postgres:// URL, got "${url}"`);
  const natsUrl = stringOpt(ctx.values, 'nats-url') ?? DEFAULT_NATS_URL;
  if (!/^(nats|tls):\/\//.test(natsUrl)) throw usage(`--nats-url: expected a nats:// URL, got "${natsUrl}"`);
  return {
    tasks: positive(ctx, 'tasks', 20_000),
    durationSeconds: positive(ctx, 'duration', 5),
    rate: positive(ctx, 'rate', 500),
    subscribers: positive(ctx, 'subscribers', 10),
    concurrency: positive(ctx, 'concurrency', 4),
    runs: positive(ctx, 'runs', 3),
    store: oneOf(ctx, 'store', ['all', 'both', 'sqlite', 'grpc', 'postgres', 'nats'] as const),
    postgresUrl: url,
    natsUrl,
    peers: ctx.values.peers === true,
    redisUrl: DEFAULT_REDIS_URL,
    ...cpuProf(ctx),
  };
}

/** One status line, redrawn at most ten times a second. */
function progressWriter(ctx: CommandContext): { update: (line: string) => void; clear: () => void } {
  let last = 0;
  return {
    update(line) {
      const now = performance.now();
      if (now - last < 100) return;
      last = now;
      ctx.stderr.write(`\r\x1b[K${line}`);
    },
    clear: () => ctx.stderr.write('\r\x1b[K'),
  };
}

function usage(message: string): SwiftletError {
  return new SwiftletError('SWIFTLET_ERR_INVALID_INPUT', message);
}

export default command;
