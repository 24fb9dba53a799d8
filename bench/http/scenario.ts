// Scenario `http`: the server driven through its public HTTP APIs by an open-loop load generator, at rising offered
// rates until each target stops keeping up (its knee), after a low fixed rate that measures the per-request overhead
// against the HTTP floor. Every process (mock LLM, servers, floor, generator) is separate; all on loopback.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { currentCli, type CliSpec } from '../child.js';
import { startMockProcess } from '../mock-process.js';
import { finishMachine, machineAtStart, type Machine } from '../proc.js';
import { quantile } from '../stats.js';
import { FINAL_TEXT } from '../workload.js';
import {
  DURABILITY_RATIO_BAR,
  KNEE_RATIO_BAR,
  cpuRatio,
  kneeRatio,
  p99Limit,
  type CpuRatio,
  type Knee,
  type KneeRatio,
} from './judge.js';
import { climb, type LadderCtx, type TargetResult } from './ladder.js';
import { measureOverhead, type OverheadResult } from './overhead.js';
import { startLoadgen } from './processes.js';
import {
  attachServer,
  benchSchema,
  createSessions,
  dropSchema,
  firstModel,
  startFloorServer,
  startSwiftletServer,
  type ServerProc,
} from './servers.js';
import { TARGET_LABELS, type Target, type TargetKey } from './targets.js';

export type { StepFigures, TargetResult } from './ladder.js';

export interface HttpBenchOptions {
  rateStart: number;
  rateStep: number;
  stepSeconds: number;
  /** Rates on the ladder at most (rateStart, rateStart + rateStep, …). */
  steps: number;
  llmLatencyMs: number;
  durability: 'durable' | 'relaxed' | 'both';
  store: 'sqlite' | 'postgres';
  /** Sessions per target; request k goes to session k mod sessions. */
  sessions: number;
  overheadRate: number;
  /** Seconds per target at overheadRate, in 1 s blocks rotating over the targets. */
  overheadSeconds: number;
  /** The ladder stops rising once the whole run would pass this many seconds. */
  maxSeconds: number;
  cpuProfDir?: string;
  /** Sampling heap profiles of the servers (`--memory-profile`). */
  heapProfDir?: string;
  /** A running server to measure instead of starting one, the mock and the floor. */
  target?: string;
  /** Bearer key for the target (never written to the result). */
  apiKey?: string;
  cli?: CliSpec;
  onProgress?: (line: string) => void;
}

export interface HttpBenchResult {
  scenario: 'http';
  version: 1;
  startedAt: string;
  durationMs: number;
  machine: Machine;
  params: Omit<HttpBenchOptions, 'cli' | 'onProgress' | 'target' | 'apiKey'> & {
    /** The measured server's base URL with --target, else null (the scenario started its own). */
    target: string | null;
    /** A bearer key was sent to the target. */
    apiKey: boolean;
    connections: number;
    maxInFlight: number;
    graceMs: number;
    slackMs: number;
    /** PostgreSQL schemas the servers used (dropped at the end). */
    pgSchemas: string[];
  };
  targets: Partial<Record<TargetKey, TargetResult>>;
  overhead: OverheadResult;
  /** Without a floor (--target) the ratios against it are null. */
  ratios: {
    nativeToFloor: KneeRatio | null;
    durableToRelaxed: KneeRatio | null;
    /** Server CPU per request, floor ÷ native and floor ÷ openai, at the rates both kept up with. */
    cpuFloorToNative: CpuRatio | null;
    cpuFloorToOpenai: CpuRatio | null;
  };
}

const CONNECTIONS = 256;
const MAX_IN_FLIGHT = 1024;
const WARMUP_SECONDS = 2;

export async function runHttpBench(o: HttpBenchOptions): Promise<HttpBenchResult> {
  return o.target === undefined ? runSpawned(o) : runTargeted(o, o.target);
}

async function runSpawned(o: HttpBenchOptions): Promise<HttpBenchResult> {
  const startedAt = new Date();
  const machine = machineAtStart();
  const cli = o.cli ?? currentCli();
  const graceMs = 2000 + 4 * o.llmLatencyMs;
  // A request sent at a step's end should be answered this soon by a server that keeps up (two model calls).
  const slackMs = 100 + 2 * o.llmLatencyMs;
  const progress = o.onProgress ?? (() => {});
  const dir = mkdtempSync(join(tmpdir(), 'swiftlet-bench-http-'));
  const schemas: string[] = [];
  const cleanup: (() => Promise<void>)[] = [async () => rmSync(dir, { recursive: true, force: true })];
  try {
    const sub = (name: string): string => {
      const d = join(dir, name);
      mkdirSync(d);
      return d;
    };
    const mock = await startMockProcess(cli, dir, o.llmLatencyMs);
    cleanup.push(() => mock.close());
    const server = async (durability: 'durable' | 'relaxed'): Promise<ServerProc> => {
      const schema = o.store === 'postgres' ? benchSchema() : undefined;
      if (schema !== undefined) {
        schemas.push(schema);
        cleanup.push(() => dropSchema(schema));
      }
      const spec = { mockUrl: mock.url, dir: sub(`swiftlet-${durability}`), store: o.store, durability };
      const s = await startSwiftletServer(cli, { ...spec, ...profDir(o) }, schema);
      cleanup.push(() => s.close());
      return s;
    };
    const primary = await server(o.durability === 'relaxed' ? 'relaxed' : 'durable');
    const relaxed = o.durability === 'both' ? await server('relaxed') : undefined;
    const floor = await startFloorServer(cli, { mockUrl: mock.url, dir: sub('floor'), ...profDir(o) });
    cleanup.push(() => floor.close());
    const loadgen = await startLoadgen(cli, { connections: CONNECTIONS, maxInFlight: MAX_IN_FLIGHT });
    cleanup.push(() => loadgen.close());

    const expect = JSON.stringify(FINAL_TEXT);
    const numbered = (prefix: string): string[] => Array.from({ length: o.sessions }, (_, i) => `${prefix}-${i}`);
    const targets: Target[] = [
      {
        key: 'native',
        server: primary,
        load: {
          name: 'native',
          kind: 'native',
          origin: primary.url,
          expect,
          sessions: await createSessions(primary.url, o.sessions),
        },
      },
      {
        key: 'openai',
        server: primary,
        load: { name: 'openai', kind: 'openai', origin: primary.url, expect, sessions: numbered('bench-openai') },
      },
      {
        key: 'floor',
        server: floor,
        load: { name: 'floor', kind: 'native', origin: floor.url, expect, sessions: numbered('bench-floor') },
      },
    ];
    if (relaxed) {
      const sessions = await createSessions(relaxed.url, o.sessions);
      targets.push({
        key: 'nativeRelaxed',
        server: relaxed,
        load: { name: 'nativeRelaxed', kind: 'native', origin: relaxed.url, expect, sessions },
      });
    }
    for (const t of targets) await loadgen.addTarget(t.load);
    const { overhead, ladder } = await drive(o, { loadgen, targets, mock, graceMs, slackMs, startedAt, progress });
    const byKey = (k: TargetKey): Knee => ladder[k]!.knee;
    return {
      ...header(o, startedAt, machine, { graceMs, slackMs, schemas }),
      targets: ladder,
      overhead,
      ratios: {
        nativeToFloor: kneeRatio(byKey('native'), byKey('floor'), KNEE_RATIO_BAR),
        durableToRelaxed: relaxed ? kneeRatio(byKey('native'), byKey('nativeRelaxed'), DURABILITY_RATIO_BAR) : null,
        cpuFloorToNative: cpuRatio(ladder.native!.steps, ladder.floor!.steps),
        cpuFloorToOpenai: cpuRatio(ladder.openai!.steps, ladder.floor!.steps),
      },
    };
  } finally {
    for (const fn of cleanup.reverse()) await fn().catch(() => undefined);
  }
}

/**
 * `--target`: a server someone else runs, on its own model, through its native and OpenAI-compatible APIs; no mock,
 * no floor. How long a turn takes is not known beforehand, so a short probe measures it: the slack and grace that the
 * spawned setup derives from the mock's latency come from the probe's median instead.
 */
async function runTargeted(o: HttpBenchOptions, url: string): Promise<HttpBenchResult> {
  const startedAt = new Date();
  const machine = machineAtStart();
  const cli = o.cli ?? currentCli();
  const progress = o.onProgress ?? (() => {});
  const cleanup: (() => Promise<void>)[] = [];
  try {
    const server = attachServer(url, o.apiKey);
    cleanup.push(() => server.close());
    const auth = o.apiKey === undefined ? {} : { apiKey: o.apiKey };
    // One after the other, so that a server that refuses us says so the same way every time.
    const setup = async (): Promise<[string, string[]]> => [
      await firstModel(url, o.apiKey),
      await createSessions(url, o.sessions, auth),
    ];
    const [model, sessions] = await setup().catch((err: unknown) => {
      throw new Error(`--target ${url}: ${(err as Error).message}`);
    });
    const loadgen = await startLoadgen(cli, { connections: CONNECTIONS, maxInFlight: MAX_IN_FLIGHT });
    cleanup.push(() => loadgen.close());
    const numbered = Array.from({ length: o.sessions }, (_, i) => `bench-openai-${startedAt.getTime()}-${i}`);
    const targets: Target[] = [
      { key: 'native', server, load: { name: 'native', kind: 'native', origin: url, sessions, ...auth } },
      {
        key: 'openai',
        server,
        load: { name: 'openai', kind: 'openai', origin: url, sessions: numbered, model, ...auth },
      },
    ];
    for (const t of targets) await loadgen.addTarget(t.load);
    progress('http: measuring how long a turn takes');
    const probe = await loadgen.step({
      target: 'native',
      rate: Math.min(o.overheadRate, 10),
      seconds: 2,
      graceMs: TARGET_PROBE_GRACE_MS,
      slackMs: TARGET_PROBE_GRACE_MS,
      samples: true,
    });
    const turnMs = quantile(Float64Array.from(probe.samplesMs ?? []).sort(), 0.5);
    if (!(turnMs >= 0)) {
      throw new Error(`no turn completed on ${url} in the probe (${probe.firstError ?? 'no answer'})`);
    }
    const graceMs = Math.ceil(2000 + 2 * turnMs);
    const slackMs = Math.ceil(100 + turnMs);
    const { overhead, ladder } = await drive(o, { loadgen, targets, graceMs, slackMs, startedAt, progress });
    return {
      ...header(o, startedAt, machine, { graceMs, slackMs, schemas: [] }),
      targets: ladder,
      overhead,
      ratios: { nativeToFloor: null, durableToRelaxed: null, cpuFloorToNative: null, cpuFloorToOpenai: null },
    };
  } finally {
    for (const fn of cleanup.reverse()) await fn().catch(() => undefined);
  }
}

/** A probe turn may take this long before it counts as failed (a real model can take many seconds). */
const TARGET_PROBE_GRACE_MS = 60_000;

/** Warm-up, the low-rate overhead phase, then the rate ladder, on targets already known to the load generator. */
async function drive(
  o: HttpBenchOptions,
  c: Omit<LadderCtx, 'p99LimitMs' | 'deadline'> & { startedAt: Date },
): Promise<{ overhead: OverheadResult; ladder: Partial<Record<TargetKey, TargetResult>> }> {
  const { loadgen, targets, graceMs, slackMs, progress } = c;
  for (const t of targets) {
    progress(`http: warming up ${TARGET_LABELS[t.key]}`);
    const seconds = Math.min(WARMUP_SECONDS, o.stepSeconds);
    await loadgen.step({ target: t.load.name, rate: o.rateStart, seconds, graceMs, slackMs, samples: false });
  }
  const overhead = await measureOverhead(loadgen, targets, { ...o, graceMs, progress });
  const lowP99 = Object.values(overhead.targets).map((f) => f.p99Ms);
  const p99LimitMs = p99Limit(quantile(Float64Array.from(lowP99).sort(), 0.5), o.llmLatencyMs);
  const deadline = c.startedAt.getTime() + o.maxSeconds * 1000;
  const ladder = await climb(o, { ...c, p99LimitMs, deadline });
  return { overhead, ladder };
}

function header(
  o: HttpBenchOptions,
  startedAt: Date,
  machine: ReturnType<typeof machineAtStart>,
  x: { graceMs: number; slackMs: number; schemas: string[] },
): Pick<HttpBenchResult, 'scenario' | 'version' | 'startedAt' | 'durationMs' | 'machine' | 'params'> {
  const { cli: _c, onProgress: _p, target, apiKey, ...rest } = o;
  return {
    scenario: 'http',
    version: 1,
    startedAt: startedAt.toISOString(),
    durationMs: Date.now() - startedAt.getTime(),
    machine: finishMachine(machine),
    params: {
      ...rest,
      target: target ?? null,
      apiKey: apiKey !== undefined,
      connections: CONNECTIONS,
      maxInFlight: MAX_IN_FLIGHT,
      graceMs: x.graceMs,
      slackMs: x.slackMs,
      pgSchemas: x.schemas,
    },
  };
}

function profDir(o: HttpBenchOptions): { cpuProfDir?: string; heapProfDir?: string } {
  return {
    ...(o.cpuProfDir === undefined ? {} : { cpuProfDir: o.cpuProfDir }),
    ...(o.heapProfDir === undefined ? {} : { heapProfDir: o.heapProfDir }),
  };
}
