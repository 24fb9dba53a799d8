// One contender at one level: its processes started fresh, the closed loop run to the end of its window, the
// readings of its processes taken around it, everything stopped again.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { CliSpec } from '../child.js';
import { benchSchema, dropSchema, profileFlags, startSwiftletServer } from '../http/servers.js';
import type { MockProcess } from '../mock-process.js';
import { cpuSeconds } from '../proc.js';
import { FINAL_TEXT } from '../workload.js';
import type { ConcurrencyChildSpec, ProgressEvent } from './child.js';
import {
  CONTENDER_LABELS,
  contenderFigures,
  type ContenderFigures,
  type ContenderKey,
  type Readings,
} from './figures.js';
import type { LoopParams } from './loop.js';
import { metricsRss, peakSampler, procRss, startHelper } from './procs.js';

/** Time a helper may take to set up (10,000 sessions created one POST each) before it counts as failed. */
const SETUP_DEADLINE_MS = 180_000;
const DEADLINE_MARGIN_MS = 30_000;
/** A turn over HTTP not answered within this long is a `timeout`. */
export const TURN_TIMEOUT_MS = 60_000;

export interface RunContext {
  cli: CliSpec;
  dir: string;
  /** Absent with --target. */
  mock?: MockProcess;
  loop: LoopParams;
  durationSeconds: number;
  llmLatencyMs: number;
  store: 'sqlite' | 'postgres';
  durability: 'durable' | 'relaxed';
  /** The server's connections to the mock at this level (bounded by the open-file limit). */
  modelConnections: number;
  target?: string;
  apiKey?: string;
  cpuProfDir?: string;
  heapProfDir?: string;
  progress: (line: string) => void;
  /** PostgreSQL schemas created (the caller reports them; each is dropped here). */
  schemas: string[];
}

export async function runContender(key: ContenderKey, c: RunContext): Promise<ContenderFigures> {
  const dir = join(c.dir, `${key}-${c.loop.users}`);
  mkdirSync(dir, { recursive: true });
  const profiles = {
    ...(c.cpuProfDir === undefined ? {} : { cpuProfDir: c.cpuProfDir }),
    ...(c.heapProfDir === undefined ? {} : { heapProfDir: c.heapProfDir }),
  };
  const cleanup: (() => Promise<void>)[] = [];
  try {
    if (key === 'target') {
      const spec: ConcurrencyChildSpec = {
        role: 'http',
        loop: c.loop,
        origin: c.target!,
        turnTimeoutMs: TURN_TIMEOUT_MS,
      };
      if (c.apiKey !== undefined) spec.apiKey = c.apiKey;
      const metrics = metricsRss(c.target!, c.apiKey);
      cleanup.push(metrics.close);
      return await drive(key, spec, c, { cleanup, readRss: metrics.read });
    }
    if (key === 'server') {
      const schema = c.store === 'postgres' ? benchSchema() : undefined;
      if (schema !== undefined) {
        c.schemas.push(schema);
        cleanup.push(() => dropSchema(schema));
      }
      const server = await startSwiftletServer(
        c.cli,
        {
          mockUrl: c.mock!.url,
          dir,
          store: c.store,
          durability: c.durability,
          maxTurns: c.loop.users,
          modelConnections: c.modelConnections,
          ...profiles,
        },
        schema,
      );
      cleanup.push(() => server.close());
      const spec: ConcurrencyChildSpec = {
        role: 'http',
        loop: c.loop,
        origin: server.url,
        expect: FINAL_TEXT,
        turnTimeoutMs: TURN_TIMEOUT_MS,
      };
      return await drive(key, spec, c, { cleanup, contenderPid: server.pid });
    }
    const spec: ConcurrencyChildSpec = {
      role: 'inprocess',
      loop: c.loop,
      contender: key,
      mockUrl: c.mock!.url,
      dir,
      durability: c.durability,
    };
    return await drive(key, spec, c, { cleanup, nodeFlags: key === 'swiftlet' ? profileFlags(profiles) : [] });
  } finally {
    for (const fn of cleanup.reverse()) await fn().catch(() => undefined);
  }
}

/**
 * Runs the helper and reads the contender's process around its window: `contenderPid` (the server), else the
 * helper itself when the contender runs in it; `readRss` replaces /proc (--target's /metrics).
 */
async function drive(
  key: ContenderKey,
  spec: ConcurrencyChildSpec,
  c: RunContext,
  o: {
    cleanup: (() => Promise<void>)[];
    contenderPid?: number;
    readRss?: () => Promise<number>;
    nodeFlags?: string[];
  },
): Promise<ContenderFigures> {
  const name = `concurrency: ${c.loop.users} users, ${CONTENDER_LABELS[key]}`;
  c.progress(`${name}: setting up`);
  const readings: Readings = {
    peakRssBytes: Number.NaN,
    cpuSeconds: Number.NaN,
    generatorCpuSeconds: Number.NaN,
    mockCpuSeconds: Number.NaN,
  };
  const deadlineMs = SETUP_DEADLINE_MS + c.loop.warmupCapMs + c.loop.durationMs + c.loop.drainMs + DEADLINE_MARGIN_MS;
  let startCpu: ReturnType<typeof cpuNow> | undefined;
  let ticker: NodeJS.Timeout | undefined;
  let sampled: Promise<number> | undefined;
  const onEvent = (e: ProgressEvent): void => {
    if (e.event === 'ready') c.progress(`${name}: warm-up 0/${c.loop.users}`);
    else if (e.event === 'warmup') c.progress(`${name}: warm-up ${e.warmed}/${c.loop.users}`);
    else if (e.phase === 'start') {
      startCpu = cpuNow();
      const t0 = Date.now();
      ticker = setInterval(() => {
        c.progress(`${name}: measuring ${Math.floor((Date.now() - t0) / 1000)}/${c.durationSeconds} s`);
      }, 250);
    } else {
      const end = cpuNow();
      clearInterval(ticker);
      sampled = sampler.stop();
      if (startCpu) {
        readings.cpuSeconds = end.contender - startCpu.contender;
        readings.generatorCpuSeconds = end.generator - startCpu.generator;
        readings.mockCpuSeconds = end.mock - startCpu.mock;
      }
      c.progress(`${name}: draining`);
    }
  };
  const helper = startHelper(c.cli, spec, { deadlineMs, ...(o.nodeFlags ? { nodeFlags: o.nodeFlags } : {}), onEvent });
  o.cleanup.push(() => helper.close());
  const pid = o.contenderPid ?? (spec.role === 'inprocess' ? helper.pid : undefined);
  const cpuNow = (): { contender: number; generator: number; mock: number } => ({
    contender: pid === undefined ? Number.NaN : cpuSeconds(pid),
    generator: spec.role === 'http' ? cpuSeconds(helper.pid) : Number.NaN,
    mock: c.mock === undefined ? Number.NaN : cpuSeconds(c.mock.pid),
  });
  const sampler = peakSampler(o.readRss ?? (pid === undefined ? () => Number.NaN : procRss(pid)));
  try {
    const loop = await helper.result;
    readings.peakRssBytes = await (sampled ?? sampler.stop());
    return contenderFigures(key, loop, readings, c);
  } finally {
    clearInterval(ticker);
    await sampler.stop();
  }
}
