// The parent's side of the `concurrency` helpers: starting one (load generator or in-process contender) and following
// its events, sampling a process's resident memory, and the open-file limit every process of the run shares.
import { once } from 'node:events';
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { Pool } from 'undici';
import { spawnCli, type CliSpec } from '../child.js';
import { rssBytes } from '../proc.js';
import { CONCURRENCY_CHILD_ENV } from '../roles.js';
import type { ChildEvent, ConcurrencyChildSpec, ProgressEvent } from './child.js';
import type { LoopResult } from './loop.js';

export interface Helper {
  readonly pid: number;
  /** Resolves with the loop's result; rejects when the helper exits first or misses `deadlineMs`. */
  readonly result: Promise<LoopResult>;
  close(): Promise<void>;
}

export function startHelper(
  cli: CliSpec,
  spec: ConcurrencyChildSpec,
  o: { deadlineMs: number; nodeFlags?: string[]; onEvent: (e: ProgressEvent) => void },
): Helper {
  const child = spawnCli(cli, ['bench', 'concurrency-child'], {
    ...(o.nodeFlags ? { nodeFlags: o.nodeFlags } : {}),
    env: { ...process.env, [CONCURRENCY_CHILD_ENV]: JSON.stringify(spec) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr = (stderr + s).slice(-4000)));
  const name = spec.role === 'http' ? 'the load generator' : `the ${spec.contender} process`;
  const result = new Promise<LoopResult>((resolve, reject) => {
    const timer = setTimeout(() => fail(`gave no result within ${Math.round(o.deadlineMs / 1000)} s`), o.deadlineMs);
    const fail = (why: string): void => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`${name} ${why}${stderr.trim() ? `: ${stderr.trim().split('\n').slice(-3).join(' ')}` : ''}`));
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null): void =>
      fail(`exited before its result (${signal ?? `code ${code}`})`);
    child.once('exit', onExit);
    child.once('error', (err) => fail(`could not start (${err.message})`));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      let e: ChildEvent;
      try {
        e = JSON.parse(line) as ChildEvent;
      } catch {
        return;
      }
      if (e.event === 'result') {
        clearTimeout(timer);
        child.off('exit', onExit);
        resolve(e.result);
      } else o.onEvent(e);
    });
  });
  result.catch(() => undefined);
  return { pid: child.pid!, result, close: () => stop(child) };
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  // The helper exits by itself after its result; a stuck one is stopped.
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

/** The highest reading of `read` taken every 100 ms until `stop()` (callable again); NaN when none was a number. */
export function peakSampler(read: () => number | Promise<number>): { stop(): Promise<number> } {
  let peak = Number.NaN;
  let pending: Promise<void> | undefined;
  const sample = (): void => {
    if (pending) return;
    pending = Promise.resolve()
      .then(read)
      .then(
        (v) => {
          if (Number.isFinite(v) && !(v <= peak)) peak = v;
        },
        () => undefined,
      )
      .finally(() => (pending = undefined));
  };
  sample();
  const timer = setInterval(sample, 100);
  let stopped: Promise<number> | undefined;
  return {
    stop() {
      clearInterval(timer);
      stopped ??= (async () => {
        await pending;
        sample();
        await pending;
        return peak;
      })();
      return stopped;
    },
  };
}

/** The process's resident memory from /proc (the same reading as `ps`). */
export const procRss = (pid: number) => (): number => rssBytes(pid);

/** A running server's resident memory as its /metrics gauge shows it (NaN when it is not exposed). */
export function metricsRss(url: string, apiKey?: string): { read: () => Promise<number>; close: () => Promise<void> } {
  const pool = new Pool(url, { connections: 1 });
  const headers = apiKey === undefined ? {} : { authorization: `Bearer ${apiKey}` };
  return {
    async read() {
      const res = await pool.request({ method: 'GET', path: '/metrics', headers });
      const text = await res.body.text();
      if (res.statusCode !== 200) return Number.NaN;
      const m = /^swiftlet_process_resident_memory_bytes (\S+)$/m.exec(text);
      return m ? Number(m[1]) : Number.NaN;
    },
    close: () => pool.close(),
  };
}

/** The soft limit on open files of this process (`ulimit -n`), which its children inherit; NaN when unknown. */
export function openFileLimit(): number {
  try {
    const m = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    if (!m) return Number.NaN;
    return m[1] === 'unlimited' ? Number.POSITIVE_INFINITY : Number(m[1]);
  } catch {
    return Number.NaN;
  }
}
