// Scenario `startup`: how fast `swiftlet serve` is ready, what it holds when idle, how fast the CLI answers
// `--version`, and how much disk the production dependencies take.
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { Pool } from 'undici';
import { spawn, type ChildProcess } from 'node:child_process';
import { currentCli, spawnCli, type CliSpec } from './child.js';
import { prodDepsSize, packageRoot, type DepsSize } from './deps-size.js';
import { finishMachine, machineAtStart, rssBytes, type Machine } from './proc.js';
import { quantile } from './stats.js';

export const STARTUP_BARS = { readyMedianMs: 150, versionMedianMs: 80, prodDepsBytes: 40e6 };
const POLL_MS = 2;
const DEADLINE_MS = 30_000;

export interface StartupBenchOptions {
  runs: number;
  /** Seconds the idle run waits after ready before reading its memory. */
  idleSeconds: number;
  /** With --memory-profile: the idle server writes a V8 sampling heap profile here when it stops. */
  heapProfDir?: string;
  cli?: CliSpec;
  onProgress?: (line: string) => void;
}

export interface Timings {
  samplesMs: number[];
  medianMs: number;
  p95Ms: number;
  minMs: number;
  maxMs: number;
}

export interface StartupBenchResult {
  scenario: 'startup';
  version: 1;
  startedAt: string;
  durationMs: number;
  machine: Machine;
  params: { runs: number; idleSeconds: number; pollMs: number; script: string; execArgv: string[] };
  /** spawn → first 200 from /readyz. */
  ready: Timings & { listeningMedianMs: number; bar: number; meetsBar: boolean };
  idle: { afterSeconds: number; rssBytes: number; heapUsedBytes: number };
  /** spawn → exit of `swiftlet --version`. */
  versionCommand: Timings & { bar: number; meetsBar: boolean };
  /** spawn → exit of `node -e 0`: what any Node.js program pays on this machine before its own code runs. */
  bareNode: Timings;
  /** Medians minus the bare node median: Swiftlet's own share of each start. */
  overBareNodeMs: { ready: number; versionCommand: number };
  prodDeps: (DepsSize & { bar: number; meetsBar: boolean }) | { error: string };
  meetsBars: boolean;
}

export async function runStartupBench(o: StartupBenchOptions): Promise<StartupBenchResult> {
  const startedAt = new Date();
  const machine = machineAtStart();
  const cli = o.cli ?? currentCli();
  const progress = o.onProgress ?? (() => {});
  const dir = mkdtempSync(join(tmpdir(), 'swiftlet-bench-startup-'));
  try {
    const config = join(dir, 'swiftlet.yaml');
    writeFileSync(config, configYaml(join(dir, 'swiftlet.db')));
    // Unmeasured: creates the database and warms the file cache, as any restart of a server finds them.
    await serveOnce(cli, config);
    const ready: number[] = [];
    const listening: number[] = [];
    for (let i = 1; i <= o.runs; i++) {
      progress(`startup: serve run ${i}/${o.runs}`);
      const r = await serveOnce(cli, config);
      ready.push(r.readyMs);
      listening.push(r.listeningMs);
    }
    progress(`startup: idle memory after ${o.idleSeconds} s`);
    const idle = await serveOnce(cli, config, o.idleSeconds, o.heapProfDir);
    await timeExit(cli.execArgv, [cli.script, '--version']);
    const version: number[] = [];
    const bare: number[] = [];
    for (let i = 1; i <= o.runs; i++) {
      progress(`startup: --version run ${i}/${o.runs}`);
      version.push(await timeExit(cli.execArgv, [cli.script, '--version']));
      bare.push(await timeExit([], ['-e', '0']));
    }
    progress('startup: production dependencies (npm ls)');
    const deps = await prodDepsSize(packageRoot(dirname(cli.script))).then(
      (d) => ({ ...d, bar: STARTUP_BARS.prodDepsBytes, meetsBar: d.diskBytes <= STARTUP_BARS.prodDepsBytes }),
      (err: unknown) => ({ error: (err as Error).message }),
    );
    const readyT = timings(ready);
    const versionT = timings(version);
    const bareT = timings(bare);
    const result: StartupBenchResult = {
      scenario: 'startup',
      version: 1,
      startedAt: startedAt.toISOString(),
      durationMs: Date.now() - startedAt.getTime(),
      machine: finishMachine(machine),
      params: { runs: o.runs, idleSeconds: o.idleSeconds, pollMs: POLL_MS, script: cli.script, execArgv: cli.execArgv },
      ready: {
        ...readyT,
        listeningMedianMs: timings(listening).medianMs,
        bar: STARTUP_BARS.readyMedianMs,
        meetsBar: readyT.medianMs <= STARTUP_BARS.readyMedianMs,
      },
      idle: { afterSeconds: o.idleSeconds, rssBytes: idle.rssBytes, heapUsedBytes: idle.heapUsedBytes },
      versionCommand: {
        ...versionT,
        bar: STARTUP_BARS.versionMedianMs,
        meetsBar: versionT.medianMs <= STARTUP_BARS.versionMedianMs,
      },
      bareNode: bareT,
      overBareNodeMs: { ready: readyT.medianMs - bareT.medianMs, versionCommand: versionT.medianMs - bareT.medianMs },
      prodDeps: deps,
      meetsBars: false,
    };
    result.meetsBars = result.ready.meetsBar && result.versionCommand.meetsBar && 'meetsBar' in deps && deps.meetsBar;
    return result;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** One agent on the built-in mock provider (no key needed), SQLite in the temp dir, metrics on. */
function configYaml(db: string): string {
  return JSON.stringify({
    providers: { mock: { type: 'mock' } },
    agents: {
      assistant: {
        model: 'mock/mock-1',
        instructions: 'You are a helpful assistant.',
        tools: ['todo', 'current_time'],
      },
    },
    storage: { driver: 'sqlite', path: db },
  });
}

interface ServeRun {
  listeningMs: number;
  readyMs: number;
  rssBytes: number;
  heapUsedBytes: number;
}

/** Spawns the server, times it to its address line and to the first 200 from /readyz; idles first when asked. */
async function serveOnce(cli: CliSpec, config: string, idleSeconds?: number, heapProfDir?: string): Promise<ServeRun> {
  const t0 = performance.now();
  const child = spawnCli(cli, ['serve', '--config', config, '--port', '0', '--log-level', 'warn', '--json'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(heapProfDir === undefined ? {} : { nodeFlags: ['--heap-prof', '--heap-prof-dir', heapProfDir] }),
  });
  const exited = once(child, 'exit');
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr = (stderr + s).slice(-4000)));
  const deadline = t0 + DEADLINE_MS;
  let pool: Pool | undefined;
  try {
    const url = await addressLine(child, () => stderr.trim());
    child.stdout!.resume();
    const listeningMs = performance.now() - t0;
    pool = new Pool(url, { connections: 1 });
    for (;;) {
      const status = await pool
        .request({ method: 'GET', path: '/readyz' })
        .then(async (res) => (await res.body.dump(), res.statusCode))
        .catch(() => 0);
      if (status === 200) break;
      if (performance.now() > deadline) throw new Error(`/readyz did not answer 200 within ${DEADLINE_MS} ms`);
      await sleep(POLL_MS);
    }
    const readyMs = performance.now() - t0;
    let memory = { rssBytes: Number.NaN, heapUsedBytes: Number.NaN };
    if (idleSeconds !== undefined) {
      await sleep(idleSeconds * 1000);
      const rss = rssBytes(child.pid!);
      const res = await pool.request({ method: 'GET', path: '/metrics' });
      const m = /^swiftlet_process_heap_used_bytes (\S+)$/m.exec(await res.body.text());
      memory = { rssBytes: rss, heapUsedBytes: m ? Number(m[1]) : Number.NaN };
    }
    return { listeningMs, readyMs, ...memory };
  } finally {
    await pool?.close();
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(timer);
  }
}

/** The `{"url": …}` line `serve --json` prints once it listens. */
function addressLine(child: ChildProcess, stderr: () => string): Promise<string> {
  const lines = createInterface({ input: child.stdout! });
  return new Promise<string>((resolve, reject) => {
    const done = (err: Error | undefined, url?: string): void => {
      clearTimeout(timer);
      child.off('exit', onExit);
      lines.close();
      if (err) reject(err);
      else resolve(url!);
    };
    const timer = setTimeout(
      () => done(new Error(`swiftlet serve did not print its address within ${DEADLINE_MS} ms`)),
      DEADLINE_MS,
    );
    const onExit = (): void => done(new Error(`swiftlet serve exited before listening: ${stderr() || 'no output'}`));
    child.once('exit', onExit);
    lines.on('line', (line) => {
      if (line.startsWith('{"url"')) done(undefined, (JSON.parse(line) as { url: string }).url);
    });
  });
}

/** spawn → exit of `node ...args`, which must exit 0. */
async function timeExit(nodeFlags: string[], args: string[]): Promise<number> {
  const t0 = performance.now();
  const child = spawn(process.execPath, [...nodeFlags, ...args], { stdio: 'ignore' });
  const [code] = (await once(child, 'exit')) as [number | null];
  const ms = performance.now() - t0;
  if (code !== 0) throw new Error(`node ${args.join(' ')} exited with code ${code}`);
  return ms;
}

function timings(samples: number[]): Timings {
  const sorted = Float64Array.from(samples).sort();
  return {
    samplesMs: samples.map((v) => Math.round(v * 100) / 100),
    medianMs: quantile(sorted, 0.5),
    p95Ms: quantile(sorted, 0.95),
    minMs: sorted[0] ?? Number.NaN,
    maxMs: sorted.at(-1) ?? Number.NaN,
  };
}
