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
import { climb, type TargetResult } from './ladder.js';
import { measureOverhead, type OverheadResult } from './overhead.js';
import { startLoadgen } from './processes.js';
import {
  benchSchema,
  createSessions,
  dropSchema,
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
  cli?: CliSpec;
  onProgress?: (line: string) => void;
}

export interface HttpBenchResult {
  scenario: 'http';
  version: 1;
  startedAt: string;
  durationMs: number;
  machine: Machine;
  params: Omit<HttpBenchOptions, 'cli' | 'onProgress'> & {
    connections: number;
    maxInFlight: number;
    graceMs: number;
    slackMs: number;
    /** PostgreSQL schemas the servers used (dropped at the end). */
    pgSchemas: string[];
  };
  targets: Partial<Record<TargetKey, TargetResult>>;
  overhead: OverheadResult;
  ratios: {
    nativeToFloor: KneeRatio;
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
  const startedAt = new Date();
  const machine = machineAtStart();
  const deadline = startedAt.getTime() + o.maxSeconds * 1000;
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

    for (const t of targets) {
      progress(`http: warming up ${TARGET_LABELS[t.key]}`);
      const seconds = Math.min(WARMUP_SECONDS, o.stepSeconds);
      await loadgen.step({ target: t.load.name, rate: o.rateStart, seconds, graceMs, slackMs, samples: false });
    }
    const overhead = await measureOverhead(loadgen, targets, { ...o, graceMs, progress });
    const lowP99 = Object.values(overhead.targets).map((f) => f.p99Ms);
    const p99LimitMs = p99Limit(quantile(Float64Array.from(lowP99).sort(), 0.5), o.llmLatencyMs);
    const ladder = await climb(o, { loadgen, targets, mock, graceMs, slackMs, p99LimitMs, deadline, progress });
    const byKey = (k: TargetKey): Knee => ladder[k]!.knee;
    return {
      scenario: 'http',
      version: 1,
      startedAt: startedAt.toISOString(),
      durationMs: Date.now() - startedAt.getTime(),
      machine: finishMachine(machine),
      params: {
        ...withoutHooks(o),
        connections: CONNECTIONS,
        maxInFlight: MAX_IN_FLIGHT,
        graceMs,
        slackMs,
        pgSchemas: schemas,
      },
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

function profDir(o: HttpBenchOptions): { cpuProfDir?: string; heapProfDir?: string } {
  return {
    ...(o.cpuProfDir === undefined ? {} : { cpuProfDir: o.cpuProfDir }),
    ...(o.heapProfDir === undefined ? {} : { heapProfDir: o.heapProfDir }),
  };
}

function withoutHooks(o: HttpBenchOptions): Omit<HttpBenchOptions, 'cli' | 'onProgress'> {
  const { cli: _c, onProgress: _p, ...rest } = o;
  return rest;
}
