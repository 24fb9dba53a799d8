import { writeFileSync } from 'node:fs';
import { SwiftletError } from '../../core/index.js';
import { EXIT, intOpt, stringOpt, type Command, type CommandContext } from '../command.js';

/** Scenarios named by DESIGN.md that `swiftlet bench` does not run yet. */
const COMING = ['throughput', 'concurrency', 'memory', 'cold-start', 'broker', 'exec'];

/** The shape of bench/index.ts, which lives outside src/ (it is not part of the library or its published types). */
export interface BenchModule {
  /** When this environment variable is set, the process is a memory probe child: its value is the probe's input. */
  probeEnv: string;
  probe(input: string): Promise<unknown>;
  turn(options: TurnOptions, onProgress?: (line: string) => void): Promise<BenchOutcome>;
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

export interface BenchOutcome {
  json: unknown;
  table: string;
  /** Every offered turn completed. */
  complete: boolean;
}

async function loadBench(): Promise<BenchModule> {
  // The cast hides the path from tsc, whose declaration build covers src/ only; esbuild still bundles the module.
  return ((await import('../../../bench/index.js' as string)) as { default: BenchModule }).default;
}

const command: Command = {
  name: 'bench',
  summary: 'Measures Swiftlet against hand-written baselines on the mock LLM and prints the figures.',
  usage: 'bench <scenario> [options] [--json [file]]',
  options: {
    turns: {
      type: 'string',
      short: 'n',
      description: 'measured turns per contender per run (default 2000)',
      valueName: 'n',
    },
    runs: {
      type: 'string',
      short: 'r',
      description: 'independent runs, each with fresh contenders (default 3)',
      valueName: 'n',
    },
    warmup: {
      type: 'string',
      description: 'unmeasured turns per contender before each run (default 300)',
      valueName: 'n',
    },
    sessions: { type: 'string', description: 'sessions the turns rotate over (default 10)', valueName: 'n' },
    'mem-sessions': {
      type: 'string',
      description: 'sessions for the memory figures, 0 to skip (default 4000)',
      valueName: 'n',
    },
    store: { type: 'string', description: "Swiftlet's store: sqlite (default) or memory", valueName: 'sqlite|memory' },
    durability: {
      type: 'string',
      description: "Swiftlet's durability: durable (default) or relaxed",
      valueName: 'mode',
    },
  },
  details: `Scenarios:
  turn          overhead per turn (below)
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

Output: a progress line on stderr when it is a terminal, the table on stdout. --json prints the full result as JSON
on stdout instead of the table; --json FILE writes it to FILE and still prints the table. Exit code 1 when a turn did
not complete.`,
  async run(ctx) {
    const bench = await loadBench();
    const probeInput = process.env[bench.probeEnv];
    if (probeInput !== undefined) {
      ctx.stdout.write(JSON.stringify(await bench.probe(probeInput)) + '\n');
      return EXIT.ok;
    }
    const [scenario, file, ...extra] = ctx.positionals;
    if (scenario === undefined) throw usage('name a scenario: swiftlet bench turn (see swiftlet bench --help)');
    if (scenario !== 'turn') {
      const why = COMING.includes(scenario) ? 'is not available yet' : 'is unknown';
      throw usage(`scenario "${scenario}" ${why}; available: turn`);
    }
    if (extra.length > 0 || (file !== undefined && !ctx.json)) {
      throw usage(`unexpected argument "${[file, ...extra].filter(Boolean).join(' ')}"`);
    }
    const options = turnOptions(ctx);
    const progress = ctx.stderr.isTTY ? progressWriter(ctx) : undefined;
    let outcome: BenchOutcome;
    try {
      outcome = await bench.turn(options, progress?.update);
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

function turnOptions(ctx: CommandContext): TurnOptions {
  const store = stringOpt(ctx.values, 'store') ?? 'sqlite';
  if (store !== 'sqlite' && store !== 'memory') throw usage(`--store: expected sqlite or memory, got "${store}"`);
  const durability = stringOpt(ctx.values, 'durability') ?? 'durable';
  if (durability !== 'durable' && durability !== 'relaxed') {
    throw usage(`--durability: expected durable or relaxed, got "${durability}"`);
  }
  const positive = (name: string, fallback: number): number => {
    const n = intOpt(ctx.values, name, fallback)!;
    if (n === 0) throw usage(`--${name}: expected at least 1`);
    return n;
  };
  return {
    turns: positive('turns', 2000),
    runs: positive('runs', 3),
    warmup: intOpt(ctx.values, 'warmup', 300)!,
    sessions: positive('sessions', 10),
    memSessions: intOpt(ctx.values, 'mem-sessions', 4000)!,
    store,
    durability,
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
