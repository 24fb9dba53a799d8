import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { SwiftletError } from '../../core/index.js';
import { EXIT, intOpt, stringOpt, type Command, type CommandContext } from '../command.js';

/** Scenarios named by DESIGN.md that `swiftlet bench` does not run yet. */
const COMING = ['concurrency', 'memory', 'broker', 'exec'];
const SCENARIOS = ['turn', 'http', 'startup'] as const;
type Scenario = (typeof SCENARIOS)[number];

/** The shape of bench/index.ts, which lives outside src/ (it is not part of the library or its published types). */
export interface BenchModule {
  /**
   * When the environment says this process is a helper of a running benchmark (the memory probe, the HTTP floor,
   * the load generator), runs that role to its end and resolves true; otherwise resolves false at once.
   */
  child(env: NodeJS.ProcessEnv, stdout: NodeJS.WritableStream): Promise<boolean>;
  turn(options: TurnOptions, onProgress?: (line: string) => void): Promise<BenchOutcome>;
  http(options: HttpOptions, onProgress?: (line: string) => void): Promise<BenchOutcome>;
  startup(options: StartupOptions, onProgress?: (line: string) => void): Promise<BenchOutcome>;
}

export interface TurnOptions {
  turns: number;
  runs: number;
  warmup: number;
  sessions: number;
  memSessions: number;
  store: 'sqlite' | 'memory';
  durability: 'durable' | 'relaxed';
}

export interface HttpOptions {
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
}

export interface StartupOptions {
  runs: number;
  idleSeconds: number;
}

export interface BenchOutcome {
  json: unknown;
  table: string;
  /** Every offered turn completed (turn), every low-rate request completed (http), every start-up worked. */
  complete: boolean;
}

/** Options each scenario takes (--json and --config are global). */
const ACCEPTS: Record<Scenario, readonly string[]> = {
  turn: ['turns', 'runs', 'warmup', 'sessions', 'mem-sessions', 'store', 'durability'],
  http: [
    'rate-start',
    'rate-step',
    'step-seconds',
    'steps',
    'llm-latency',
    'durability',
    'store',
    'sessions',
    'overhead-rate',
    'overhead-seconds',
    'max-seconds',
    'cpu-prof',
  ],
  startup: ['runs', 'idle-seconds'],
};

async function loadBench(): Promise<BenchModule> {
  // The cast hides the path from tsc, whose declaration build covers src/ only; esbuild still bundles the module.
  return ((await import('../../../bench/index.js' as string)) as { default: BenchModule }).default;
}

const DETAILS = `Scenarios:
  turn          overhead per turn, in-process
  http          throughput through the HTTP APIs at rising offered load, up to the knee; overhead against a floor
  startup       time to ready, idle memory, --version time, size of the production dependencies
  ${COMING.join(', ')}: not yet

turn: sequential turns, each a tool call and a final answer, i.e. two model calls to the mock LLM (a separate
process, latency 0: step 0 asks for current_time, step 1 answers with a short text). Three contenders run the same
turns, in interleaved blocks of 50 (A,B,C,A,B,C…) so that drift hits all alike; turn i goes to session i mod --sessions,
and each sends the last 50 messages of its session's history:
  swiftlet    the runtime in-process, durable SQLite in a temp dir, runtime.run(...).result per turn
  fetch loop  a hand-written loop with global fetch (stream: false), history in a Map, the tool run in-process;
              stores nothing
  floor       the same loop over undici.request on a keep-alive Pool, plus ONE better-sqlite3 transaction (WAL,
              synchronous=NORMAL, prepared statements) appending the turn's messages: the least a durable agent does
All three run Swiftlet's current_time implementation, so the tool costs the same everywhere. Swiftlet streams its
model calls (SSE); the baselines ask for whole JSON answers.

Figures (each per contender, per run over completed turns, then the median over runs with min–max):
  ms/turn median, p95, p99   wall time of one whole turn (performance.now() around it); nearest-rank quantiles
  turns/s                    completed turns ÷ the contender's own summed turn time (sequential throughput)
  ÷ floor                    the contender's median ms/turn ÷ the floor's, per run; Swiftlet's bar is ≤ 1.25
  cpu ms/turn                CPU time (user + system, all threads) of the benchmark process during the contender's
                             turns ÷ turns; the mock's CPU is not in it. Less sensitive than wall time to a busy machine
  completed                  turns that ended with the scripted answer ÷ turns offered
  heap per hot session       a child process (--expose-gc --no-flush-bytecode) primes 500 sessions, then runs
                             --mem-sessions new sessions one turn each, all kept in the hot cache: growth of the
                             heap (code spaces excluded) after full GCs ÷ sessions. "hot cache accounts" is the
                             runtime's own estimate for them, on which its hotCacheMb bound is enforced
  fetch loop Map             the same for the fetch loop's history Map
  per stored session         the same with hotCacheMb: 0, so sessions are evicted after their turn (≈ 0 expected)

http: separate processes on loopback: the mock LLM (--llm-latency per call), \`swiftlet serve\` (a generated config
in a temp dir: the turn scenario's agent, durable SQLite, or a fresh PostgreSQL schema with --store postgres, dropped
afterwards; log level warn), the HTTP floor, and a load generator. Each request is one turn: a tool call and a final
answer. The generator runs an open loop: request k of a step is fired at start + k/rate whether or not earlier
requests have answered, on an undici Pool of 256 connections per target; request k goes to session k mod
--sessions. Targets:
  native          POST /v1/sessions/:id/turns {input}, JSON answer (sessions created beforehand)
  openai          POST /v1/chat/completions, stream: false, stateful through X-Swiftlet-Session, same server
  floor           a bare node:http server: reads the JSON body, makes the same two mock calls with undici.request
                  on a pooled client, appends the turn in ONE better-sqlite3 transaction, answers JSON; one turn at
                  a time per session; nothing else (no auth, limits, timeouts, logs or metrics)
  native relaxed  with --durability both: the native API on a second server with durability: relaxed
Phases: a 2 s warm-up per target; the overhead phase (--overhead-rate for --overhead-seconds per target, in 1 s
blocks rotating over the targets); then the ladder: rates --rate-start, +--rate-step, … (at most --steps), every
target in turn at each rate for --step-seconds, until each has passed its knee. Requests still open 2 s (+ 4 × the
LLM latency) after a step's last scheduled send are aborted and count as errors (timeout); a target that keeps more
than 1024 requests open has further sends shed (errors too). The ladder stops rising when its next step could end
past --max-seconds from the start (knee "≥ R", stopped by budget).

Figures (per target and step):
  offered/s        the scheduled rate; offered = rate × step seconds
  completed/s      answers 200 with the scripted final text that arrived by the step's scheduled end + 100 ms
                   (+ 2 × the LLM latency), ÷ the step's seconds; "completed" in the JSON also counts later answers
  errors           offered − completed: non-200 answers (429 and 503 are the server's bounds at work), wrong
                   answers, timeouts, network errors, shed sends; kinds in the JSON
  p50/p95/p99 ms   latency of completed requests, from the generator's send to the end of the answer body;
                   nearest-rank quantiles. lagP99Ms in the JSON says how late the generator fired behind schedule
  cpu s            user + system CPU seconds of the server process during the step (/proc/<pid>/stat); for native
                   and openai that is the Swiftlet server, shared by both targets
  cpu ms/req       that ÷ completed requests
  rss MB, heap MB  after the step: the server's swiftlet_process_resident_memory_bytes and
                   swiftlet_process_heap_used_bytes from /metrics; for the floor VmRSS of /proc/<pid>/status (what
                   ps shows) and process.memoryUsage().heapUsed
  knee             the highest rate at which completed/s ≥ 0.95 × offered/s and p99 ≤ the p99 limit. The limit is
                   the same for every target: from L, the median of the targets' p99 at the low fixed rate, and the
                   LLM's share 2 × --llm-latency: LLM share + max(10 × (L − LLM share), L − LLM share + 100 ms). A
                   failed step is run once more before it counts (one stall on a shared machine can sink a step).
                   "≥ R" when the ladder ended before the target failed
  knee(native) ÷ knee(floor)      bar ≥ 0.7; a bound (at least / at most) when one knee was not reached
  knee(durable) ÷ knee(relaxed)   the native API on both servers (--durability both); bar ≥ 0.9
  server CPU per request, floor ÷ native (÷ openai)   at each rate both kept up with (first attempt), the
                   floor's cpu ms/req ÷ the target's; median and range over those rates. Unlike the knees it does
                   not depend on what else the machine runs (mock, generator, other programs)
  overhead         at the low fixed rate: the target's median (p99) latency minus the floor's median (p99).
                   Bars for the native API: median ≤ 0.5 ms, p99 ≤ 3 ms
--cpu-prof DIR starts the servers with --cpu-prof; the profiles are written when they stop.

startup: \`serve --port 0\` with a config on the built-in mock provider (no key needed) and SQLite in a temp dir. One
unmeasured start creates the database; then --runs timed starts:
  spawn → /readyz 200      from spawning node to the first 200 from GET /readyz, which is polled every 2 ms once
                           the server has printed its address (\`serve --json\`); median, p95, min, max; bar ≤ 150 ms
  spawn → address printed  the part of that until the address line on stdout
  idle RSS, heap           one more start left idle for --idle-seconds: VmRSS from /proc/<pid>/status and the
                           /metrics heap gauge
  --version                spawn → exit of \`swiftlet --version\` (one unmeasured, then --runs); bar ≤ 80 ms
  node -e 0                spawn → exit of a bare node, for scale: every Node.js program pays it
  own share                each median minus the bare node's: what Swiftlet adds to Node's own start
  production dependencies  the folders \`npm ls --omit=dev --parseable --all\` lists, each without its nested
                           node_modules, hard links once: allocated bytes as du counts them (and file contents);
                           bar ≤ 40 MB (10^6 bytes). It measures this install: a dependency built from source keeps
                           its build intermediates
Both scenarios run whatever started them: node dist/cli.js (the bundle) or the sources through tsx, which is slower.

Output: a progress line on stderr when it is a terminal, the table on stdout. --json prints the full result as JSON
on stdout instead of the table; --json FILE writes it to FILE and still prints the table. Exit code 1 when a turn did
not complete (turn) or a request at the low fixed rate did not (http).`;

const n = (description: string): { type: 'string'; description: string; valueName: string } => ({
  type: 'string',
  description,
  valueName: 'n',
});

const command: Command = {
  name: 'bench',
  summary: 'Measures Swiftlet against hand-written baselines on the mock LLM and prints the figures.',
  usage: 'bench <turn|http|startup> [options] [--json [file]]',
  options: {
    turns: { ...n('turn: measured turns per contender per run (default 2000)'), short: 'n' },
    runs: {
      ...n('turn: independent runs (default 3); startup: timed starts and --version runs (default 20)'),
      short: 'r',
    },
    warmup: n('turn: unmeasured turns per contender before each run (default 300)'),
    sessions: n('turn: sessions the turns rotate over (default 10); http: sessions per target (default 200)'),
    'mem-sessions': n('turn: sessions for the memory figures, 0 to skip (default 4000)'),
    store: {
      type: 'string',
      description: 'turn: sqlite (default) or memory; http: sqlite (default) or postgres (127.0.0.1:5432, db test)',
      valueName: 'store',
    },
    durability: {
      type: 'string',
      description: "Swiftlet's durability: durable (default) or relaxed; http also takes both",
      valueName: 'mode',
    },
    'rate-start': n('http: first offered rate, requests per second (default 200)'),
    'rate-step': n('http: added to the rate at each step (default 200)'),
    'step-seconds': n('http: seconds per step (default 3)'),
    steps: n('http: rates on the ladder at most (default 30)'),
    'llm-latency': { type: 'string', description: 'http: mock LLM latency per call (default 0)', valueName: 'ms' },
    'overhead-rate': n('http: the low fixed rate of the overhead figures (default 50)'),
    'overhead-seconds': n('http: seconds per target at that rate (default 6)'),
    'max-seconds': n('http: no ladder step that could end later than this many seconds into the run (default 180)'),
    'cpu-prof': {
      type: 'string',
      description: 'http: write V8 CPU profiles of the servers into this directory',
      valueName: 'dir',
    },
    'idle-seconds': n('startup: seconds the server idles before its memory is read (default 10)'),
  },
  details: DETAILS,
  async run(ctx) {
    const bench = await loadBench();
    if (await bench.child(process.env, ctx.stdout)) return EXIT.ok;
    const [name, file, ...extra] = ctx.positionals;
    if (name === undefined)
      throw usage('name a scenario: swiftlet bench turn|http|startup (see swiftlet bench --help)');
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
    const progress = ctx.stderr.isTTY ? progressWriter(ctx) : undefined;
    let outcome: BenchOutcome;
    try {
      if (scenario === 'turn') outcome = await bench.turn(turnOptions(ctx), progress?.update);
      else if (scenario === 'http') outcome = await bench.http(httpOptions(ctx), progress?.update);
      else outcome = await bench.startup(startupOptions(ctx), progress?.update);
    } finally {
      progress?.clear();
    }
    const json = JSON.stringify(outcome.json, null, 2) + '\n';
    if (ctx.json && file === undefined) ctx.stdout.write(json);
    else {
      if (file !== undefined) writeFileSync(file, json);
      ctx.stdout.write(outcome.table);
    }
    return outcome.complete ? EXIT.ok : EXIT.failed;
  },
};

function positive(ctx: CommandContext, name: string, fallback: number): number {
  const value = intOpt(ctx.values, name, fallback)!;
  if (value === 0) throw usage(`--${name}: expected at least 1`);
  return value;
}

function oneOf<T extends string>(ctx: CommandContext, name: string, allowed: readonly T[]): T {
  const value = stringOpt(ctx.values, name) ?? allowed[0]!;
  if (!(allowed as readonly string[]).includes(value)) {
    throw usage(`--${name}: expected ${allowed.join(' or ')}, got "${value}"`);
  }
  return value as T;
}

function turnOptions(ctx: CommandContext): TurnOptions {
  return {
    turns: positive(ctx, 'turns', 2000),
    runs: positive(ctx, 'runs', 3),
    warmup: intOpt(ctx.values, 'warmup', 300)!,
    sessions: positive(ctx, 'sessions', 10),
    memSessions: intOpt(ctx.values, 'mem-sessions', 4000)!,
    store: oneOf(ctx, 'store', ['sqlite', 'memory'] as const),
    durability: oneOf(ctx, 'durability', ['durable', 'relaxed'] as const),
  };
}

function httpOptions(ctx: CommandContext): HttpOptions {
  const cpuProfDir = stringOpt(ctx.values, 'cpu-prof');
  return {
    rateStart: positive(ctx, 'rate-start', 200),
    rateStep: positive(ctx, 'rate-step', 200),
    stepSeconds: positive(ctx, 'step-seconds', 3),
    steps: positive(ctx, 'steps', 30),
    llmLatencyMs: intOpt(ctx.values, 'llm-latency', 0)!,
    durability: oneOf(ctx, 'durability', ['durable', 'relaxed', 'both'] as const),
    store: oneOf(ctx, 'store', ['sqlite', 'postgres'] as const),
    sessions: positive(ctx, 'sessions', 200),
    overheadRate: positive(ctx, 'overhead-rate', 50),
    overheadSeconds: positive(ctx, 'overhead-seconds', 6),
    maxSeconds: positive(ctx, 'max-seconds', 180),
    ...(cpuProfDir === undefined ? {} : { cpuProfDir: resolve(cpuProfDir) }),
  };
}

function startupOptions(ctx: CommandContext): StartupOptions {
  return { runs: positive(ctx, 'runs', 20), idleSeconds: intOpt(ctx.values, 'idle-seconds', 10)! };
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
