// `npm run bench:peers`: the Swiftlet benchmark workloads run by Swiftlet, the hand-written fetch loop and four
// TypeScript agent frameworks, each contender in its own child process against one mock LLM process, printed side by
// side. Run from the repository root as `node --import tsx bench/peers/run.ts` (see --help).
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { currentCli, type CliSpec } from '../child.js';
import { startMockProcess, type MockProcess } from '../mock-process.js';
import { finishMachine, machineAtStart } from '../proc.js';
import { CONTENDER_KEYS, CONTENDERS, DEFAULT_CONTENDERS, type ContenderKey } from './contenders/index.js';
import { closureSize, swiftletSize } from './install-size.js';
import {
  renderReport,
  type Outcome,
  type Params,
  type PeersResult,
  type WorkloadKey,
  WORKLOAD_KEYS,
} from './report.js';
import { runChild, timeExit, type ChildSpawn } from './spawn.js';
import type { ChildTask, ConcurrencyRunResult, SessionsRunResult, StartRunResult, TurnRunResult } from './protocol.js';
import { spread } from '../stats.js';
import { ensurePeersInstalled } from '../broker/peers.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = resolve(HERE, '..', '..');

const HELP = `Usage: node --import tsx bench/peers/run.ts [options]   (npm run bench:peers -- [options])

Runs the Swiftlet benchmark workloads with Swiftlet, the hand-written fetch loop and four agent frameworks
(Vercel AI SDK, OpenAI Agents JS, LangGraph.js, Mastra), each in its own child process against one mock LLM
process, and prints one table per workload. Installs bench/peers/node_modules (npm ci) when it is missing.

Workloads (all by default):
  size         production install size of each contender's package closure
  start        spawn → first completed turn, and bare node for reference
  turn         sequential turns at mock latency 0: median / p95 / p99 ms per turn
  sessions     heap bytes held per session (--expose-gc)
  concurrency  many sessions in flight at mock latency 50 ms: completed turns/s, peak RSS

Options:
  --workloads LIST       comma-separated workloads to run
  --only LIST            comma-separated contenders (${CONTENDER_KEYS.join(', ')})
  --quick                a smoke run (< 1 min): few turns, 1 run, short windows
  --runs N               turn: runs per contender, each in a fresh process (default 3)
  --turns N              turn: measured turns per run (default 1000)
  --warmup N             turn: warm-up turns per run (default 300)
  --concurrency N        concurrency: sessions in flight (default 1000)
  --duration S           concurrency: measured seconds after a warm-up (default 10)
  --memory-sessions N    sessions: sessions measured (default 2000)
  --start-runs N         start: measured starts per contender (default 5)
  --swiftlet-connections N
                         Swiftlet's provider pool size (maxConnections; default: Swiftlet's own, 64, and in
                         concurrency one per session in flight)
  --json FILE            also write the results as JSON
  --no-install           do not run npm ci when bench/peers/node_modules is missing
  -h, --help             this text
`;

function parse(): {
  params: Params;
  contenders: ContenderKey[];
  workloads: WorkloadKey[];
  json?: string;
  install: boolean;
} {
  const { values } = parseArgs({
    options: {
      workloads: { type: 'string' },
      only: { type: 'string' },
      quick: { type: 'boolean', default: false },
      runs: { type: 'string' },
      turns: { type: 'string' },
      warmup: { type: 'string' },
      concurrency: { type: 'string' },
      duration: { type: 'string' },
      'memory-sessions': { type: 'string' },
      'start-runs': { type: 'string' },
      'swiftlet-connections': { type: 'string' },
      json: { type: 'string' },
      'no-install': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(HELP);
    process.exit(0);
  }
  const q = values.quick;
  const int = (name: string, v: string | undefined, dflt: number, min = 1): number => {
    if (v === undefined) return dflt;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer ≥ ${min}, got ${v}`);
    return n;
  };
  const list = <K extends string>(name: string, v: string | undefined, all: readonly K[], dflt: readonly K[]): K[] => {
    if (v === undefined) return [...dflt];
    const picked = v.split(',').map((s) => s.trim()) as K[];
    const unknown = picked.filter((k) => !all.includes(k));
    if (unknown.length > 0) throw new Error(`--${name}: unknown ${unknown.join(', ')} (one of ${all.join(', ')})`);
    return picked;
  };
  const connections = values['swiftlet-connections'];
  const params: Params = {
    ...(connections === undefined ? {} : { swiftletConnections: int('swiftlet-connections', connections, 1) }),
    turn: {
      runs: int('runs', values.runs, q ? 1 : 3),
      warmup: int('warmup', values.warmup, q ? 20 : 300, 0),
      turns: int('turns', values.turns, q ? 60 : 1000),
      sessions: 10,
    },
    concurrency: {
      sessions: int('concurrency', values.concurrency, q ? 100 : 1000),
      warmupMs: q ? 500 : 3000,
      durationMs: Math.round(Number(values.duration ?? (q ? 1 : 10)) * 1000),
      latencyMs: 50,
    },
    sessions: { sessions: int('memory-sessions', values['memory-sessions'], q ? 100 : 2000), warmup: q ? 30 : 500 },
    start: { runs: int('start-runs', values['start-runs'], q ? 1 : 5), warmStart: !q },
  };
  if (!(params.concurrency.durationMs > 0)) throw new Error(`--duration must be a positive number of seconds`);
  return {
    params,
    contenders: list('only', values.only, CONTENDER_KEYS, DEFAULT_CONTENDERS),
    workloads: list('workloads', values.workloads, WORKLOAD_KEYS, WORKLOAD_KEYS),
    ...(values.json === undefined ? {} : { json: values.json }),
    install: !values['no-install'],
  };
}

/** npm ci in bench/peers when its node_modules is missing; the error, if any, is reported with every peer. */
const ensureInstalled = (progress: (s: string) => void): Promise<string | undefined> =>
  ensurePeersInstalled(HERE, progress);

function installedVersion(pkg: string): string {
  try {
    return (JSON.parse(readFileSync(join(HERE, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string })
      .version;
  } catch {
    return 'not installed';
  }
}

async function main(): Promise<void> {
  const opts = parse();
  const { params } = opts;
  const t0 = performance.now();
  const elapsed = (): string => `${((performance.now() - t0) / 1000).toFixed(0)}s`;
  const progress = (s: string): void => void process.stderr.write(`[peers ${elapsed()}] ${s}\n`);
  const machine = machineAtStart();
  const cli = currentCli();
  if (!cli.execArgv.some((a) => a.includes('tsx')))
    throw new Error('run from the repository root as: node --import tsx bench/peers/run.ts');
  // The mock is `swiftlet mock-llm` from source, loaded the way this process was (tsx).
  const mockCli: CliSpec = { execArgv: cli.execArgv, script: join(REPO, 'src', 'cli', 'main.ts') };
  const child: ChildSpawn = { execArgv: cli.execArgv, script: join(HERE, 'child.ts') };

  const installError = opts.install ? await ensureInstalled(progress) : undefined;
  const versions: Record<string, string> = {
    swiftlet: (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string }).version,
    node: process.version,
  };
  for (const k of opts.contenders) for (const p of CONTENDERS[k].packages) versions[p] = installedVersion(p);

  const result: PeersResult = {
    version: 1,
    startedAt: new Date().toISOString(),
    durationMs: 0,
    machine: { ...machine, loadavgEnd: [] },
    params,
    versions,
    contenders: Object.fromEntries(
      opts.contenders.map((k) => [
        k,
        { label: CONTENDERS[k].label, packages: CONTENDERS[k].packages, history: CONTENDERS[k].history },
      ]),
    ),
    ...(installError === undefined ? {} : { installError }),
    workloads: {},
  };
  const fail = (err: unknown): { error: string } => {
    const msg = err instanceof Error ? err.message : String(err);
    return { error: installError === undefined ? msg : `${msg} (${installError})` };
  };

  const dir = mkdtempSync(join(tmpdir(), 'swiftlet-bench-peers-'));
  const mocks = new Map<number, MockProcess>();
  const mock = async (latencyMs: number): Promise<MockProcess> => {
    let m = mocks.get(latencyMs);
    if (m === undefined) {
      const mdir = join(dir, `mock-${latencyMs}`);
      mkdirSync(mdir);
      m = await startMockProcess(mockCli, mdir, latencyMs);
      mocks.set(latencyMs, m);
    }
    return m;
  };
  let dirs = 0;
  const freshDir = (k: ContenderKey): string => {
    const d = join(dir, `${k}-${++dirs}`);
    mkdirSync(d);
    return d;
  };
  const task = async <R>(
    k: ContenderKey,
    t: ChildTask,
    latencyMs: number,
    o: { nodeFlags?: string[]; dir?: string; connections?: number } = {},
  ) => {
    const m = await mock(latencyMs);
    const connections = params.swiftletConnections ?? o.connections;
    const pool = connections === undefined ? {} : { connections };
    return runChild<R>(
      child,
      { ...t, ...pool, contender: k, mockUrl: m.url, dir: o.dir ?? freshDir(k) },
      o.nodeFlags ?? [],
    );
  };
  const print = (w: WorkloadKey): void => void process.stdout.write(`${renderReport(result, w)}\n`);

  try {
    for (const w of opts.workloads) {
      const outcomes: Record<string, Outcome<unknown>> = {};
      result.workloads[w] = outcomes;
      if (w === 'size') {
        // Swiftlet with the memory store is the same install as Swiftlet.
        for (const k of opts.contenders.filter((c) => c !== 'swiftlet-memory')) {
          progress(`size: ${k}`);
          const spec = CONTENDERS[k];
          try {
            if (k === 'swiftlet') outcomes[k] = await swiftletSize(REPO);
            else if (spec.packages.length === 0)
              outcomes[k] = {
                packages: 0,
                diskBytes: 0,
                apparentBytes: 0,
                largest: [],
                method: 'no package: global fetch is built into Node',
              };
            else outcomes[k] = await closureSize(HERE, spec.packages);
          } catch (err) {
            outcomes[k] = fail(err);
          }
        }
      }
      if (w === 'start') {
        const bare = [];
        const tsx = [];
        for (let i = 0; i < params.start.runs; i++) {
          bare.push(await timeExit([], ['-e', '0']));
          tsx.push(await timeExit(cli.execArgv, ['-e', '0']));
        }
        outcomes['node -e 0'] = { spawnToFirstTurnMs: spread(bare), samplesMs: bare };
        outcomes['node --import tsx -e 0'] = { spawnToFirstTurnMs: spread(tsx), samplesMs: tsx };
        for (const k of opts.contenders) {
          try {
            // One start unmeasured: it fills the file cache and creates Swiftlet's database, as any restart finds them
            // (left out of --quick, whose figures are a smoke test).
            const d = freshDir(k);
            if (params.start.warmStart) {
              progress(`start: ${k} (warm-up start)`);
              await task<StartRunResult>(k, { workload: 'start', params: { sessionId: 'start-warm' } }, 0, { dir: d });
            }
            const total: number[] = [];
            const imported: number[] = [];
            const first: number[] = [];
            for (let i = 1; i <= params.start.runs; i++) {
              progress(`start: ${k} ${i}/${params.start.runs}`);
              const r = await task<StartRunResult>(k, { workload: 'start', params: { sessionId: `start-${i}` } }, 0, {
                dir: d,
              });
              total.push(r.firstLineMs);
              imported.push(r.result.importedMs);
              first.push(r.result.firstTurnMs);
            }
            outcomes[k] = {
              spawnToFirstTurnMs: spread(total),
              samplesMs: total,
              childImportedMs: spread(imported),
              childFirstTurnMs: spread(first),
            };
          } catch (err) {
            outcomes[k] = fail(err);
          }
        }
      }
      if (w === 'turn') {
        const p = params.turn;
        for (const k of opts.contenders) {
          try {
            const runs: TurnRunResult[] = [];
            for (let i = 1; i <= p.runs; i++) {
              progress(`turn: ${k} run ${i}/${p.runs} (${p.warmup} + ${p.turns} turns)`);
              runs.push((await task<TurnRunResult>(k, { workload: 'turn', params: p }, 0)).result);
            }
            outcomes[k] = {
              medianMs: spread(runs.map((r) => r.medianMs)),
              p95Ms: spread(runs.map((r) => r.p95Ms)),
              p99Ms: spread(runs.map((r) => r.p99Ms)),
              turnsPerSec: spread(runs.map((r) => r.turnsPerSec)),
              completed: runs.reduce((n, r) => n + r.n, 0),
              failed: runs.reduce((n, r) => n + r.failed, 0),
              runs,
            };
          } catch (err) {
            outcomes[k] = fail(err);
          }
        }
      }
      if (w === 'sessions') {
        const p = params.sessions;
        for (const k of opts.contenders) {
          progress(`sessions: ${k} (${p.warmup} + ${p.sessions} sessions, one turn each)`);
          try {
            const r = await task<SessionsRunResult>(k, { workload: 'sessions', params: p }, 0, {
              // As bench/memory.ts: forced collections, and no bytecode flushing charged to the sessions.
              nodeFlags: ['--expose-gc', '--no-flush-bytecode'],
            });
            outcomes[k] = r.result;
          } catch (err) {
            outcomes[k] = fail(err);
          }
        }
      }
      if (w === 'concurrency') {
        const p = params.concurrency;
        for (const k of opts.contenders) {
          progress(
            `concurrency: ${k} (${p.sessions} sessions, ${p.warmupMs / 1000} s warm-up + ${p.durationMs / 1000} s)`,
          );
          try {
            const r = await task<ConcurrencyRunResult>(
              k,
              {
                workload: 'concurrency',
                params: { sessions: p.sessions, warmupMs: p.warmupMs, durationMs: p.durationMs },
              },
              p.latencyMs,
              // The others open a connection per call in flight; Swiftlet's pool (64 by default) is raised to match,
              // as `swiftlet bench concurrency` does.
              { connections: p.sessions },
            );
            outcomes[k] = { ...r.result, peakRssBytes: r.peakRssBytes };
          } catch (err) {
            outcomes[k] = fail(err);
          }
        }
      }
      print(w);
    }
  } finally {
    for (const m of mocks.values()) await m.close();
    rmSync(dir, { recursive: true, force: true });
  }
  result.machine = finishMachine(machine);
  result.durationMs = Math.round(performance.now() - t0);
  if (opts.json !== undefined) {
    writeFileSync(opts.json, `${JSON.stringify(result, null, 2)}\n`);
    progress(`wrote ${opts.json}`);
  }
  progress(`done in ${elapsed()}`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:peers: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
