// Heap per session, measured in a child process started with --expose-gc (so that forced collections make heapUsed
// meaningful and nothing of the latency runs is still on the heap): N new sessions, one turn each, then the heap
// growth after full collections divided by N.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { setImmediate as tick } from 'node:timers/promises';
import { getHeapSpaceStatistics } from 'node:v8';
import { spawnCli, type CliSpec } from './child.js';
import { fetchLoopContender } from './baselines/fetch-loop.js';
import { createSwiftletRuntime } from './contenders/swiftlet.js';
import type { ContenderOptions } from './contender.js';
import { PROBE_ENV } from './roles.js';
import { FINAL_TEXT, turnInput } from './workload.js';

/** Set in the child's environment; the bench command then runs `memoryProbe` and prints its result as JSON. */
export { PROBE_ENV };

export interface MemoryProbeArgs {
  mockUrl: string;
  dir: string;
  sessions: number;
  store: ContenderOptions['store'];
  durability: ContenderOptions['durability'];
  /** With --memory-profile: the probe writes a V8 sampling heap profile here when it exits. */
  heapProfDir?: string;
}

export interface MemoryResult {
  sessions: number;
  /** Swiftlet, every session held in the hot cache. */
  hotBytesPerSession: number;
  /** What the runtime's hot cache accounts for each of those sessions (its byte bound is enforced on this figure). */
  hotAccountedBytesPerSession: number;
  /** The fetch loop's history Map, one turn per session. */
  fetchLoopBytesPerSession: number;
  /** Swiftlet with `hotCacheMb: 0`: sessions evicted after their turn, living only in the store. */
  storedBytesPerSession: number;
}

/**
 * New sessions run before the first heap reading: they take the one-off costs (optimised code, the first growth of
 * maps and caches), which would otherwise be charged to the measured sessions.
 */
const WARMUP_SESSIONS = 500;

export async function measureMemory(cli: CliSpec, args: MemoryProbeArgs): Promise<MemoryResult> {
  const child = spawnCli(cli, ['bench', 'turn'], {
    // No bytecode flushing: V8 would drop the bytecode of functions idle for a few collections, and the forced
    // collections here would charge that to the sessions as negative bytes.
    nodeFlags: [
      '--expose-gc',
      '--no-flush-bytecode',
      ...(args.heapProfDir === undefined ? [] : ['--heap-prof', '--heap-prof-dir', args.heapProfDir]),
    ],
    env: { ...process.env, [PROBE_ENV]: JSON.stringify(args) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (s: string) => (out += s));
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (err = (err + s).slice(-4000)));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (c) => resolve(c));
  });
  const last = out.trim().split('\n').at(-1) ?? '';
  if (code !== 0 || !last.startsWith('{')) {
    throw new Error(`the memory probe failed (exit ${code}): ${err.trim() || last || 'no output'}`);
  }
  return JSON.parse(last) as MemoryResult;
}

/** Runs in the child. */
export async function memoryProbe(a: MemoryProbeArgs): Promise<MemoryResult> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('the memory probe needs node --expose-gc');
  const heap = async (): Promise<number> => {
    for (let i = 0; i < 3; i++) {
      gc();
      await tick();
    }
    return dataHeapUsed();
  };
  const n = a.sessions;

  const swiftlet = async (hotCacheMb: number): Promise<{ perSession: number; accounted: number; held: number }> => {
    const dir = join(a.dir, `memory-${hotCacheMb}`);
    mkdirSync(dir, { recursive: true });
    const rt = await createSwiftletRuntime({ ...a, dir, hotCacheMb });
    try {
      const turn = async (sessionId: string, i: number): Promise<void> => {
        const end = await rt.run({ sessionId, input: turnInput(i) }).result;
        if (end.outcome !== 'final' || end.text !== FINAL_TEXT)
          throw new Error(`memory probe turn ${i}: ${end.outcome}`);
      };
      for (let i = 0; i < WARMUP_SESSIONS; i++) await turn(`warm-${i}`, i);
      const before = await heap();
      const cacheBefore = rt.stats.cache;
      for (let i = 0; i < n; i++) await turn(`mem-${i}`, i);
      const after = await heap();
      const cache = rt.stats.cache;
      return {
        perSession: (after - before) / n,
        accounted: (cache.bytes - cacheBefore.bytes) / n,
        held: cache.sessions - cacheBefore.sessions,
      };
    } finally {
      await rt.close();
    }
  };

  const hot = await swiftlet(1024);
  if (hot.held !== n) throw new Error(`expected ${n} hot sessions, the cache holds ${hot.held} more`);
  const stored = await swiftlet(0);
  if (stored.held > 0) throw new Error(`expected no hot sessions with hotCacheMb 0, the cache holds ${stored.held}`);

  const baseline = fetchLoopContender({ mockUrl: a.mockUrl, sessions: WARMUP_SESSIONS });
  for (let i = 0; i < WARMUP_SESSIONS; i++) await baseline.turn(i);
  const before = await heap();
  for (let i = 0; i < n; i++) {
    if ((await baseline.loop.turn(`mem-${i}`, turnInput(i))) === undefined)
      throw new Error(`fetch loop turn ${i} failed`);
  }
  const after = await heap();
  if (baseline.loop.history.size !== n + WARMUP_SESSIONS) throw new Error('the fetch loop lost sessions');

  return {
    sessions: n,
    hotBytesPerSession: Math.round(hot.perSession),
    hotAccountedBytesPerSession: Math.round(hot.accounted),
    fetchLoopBytesPerSession: Math.round((after - before) / n),
    storedBytesPerSession: Math.round(stored.perSession),
  };
}

/** heapUsed without the code spaces: code optimised during the measurement is not session data. */
function dataHeapUsed(): number {
  let used = 0;
  for (const space of getHeapSpaceStatistics()) {
    if (!space.space_name.startsWith('code_')) used += space.space_used_size;
  }
  return used;
}
