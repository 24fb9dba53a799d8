// The processes of the `http` scenario besides the mock LLM: Swiftlet servers (`swiftlet serve`), the HTTP floor and
// the load generator. Each prints `{"url": …}` (or, for the generator, answers on stdout) and stops on SIGTERM.
import { once } from 'node:events';
import type { ChildProcess } from 'node:child_process';
import { createInterface, type Interface } from 'node:readline';
import { spawnCli, type CliSpec } from '../child.js';
import { CHILD_ENV, type ChildSpec } from '../roles.js';
import type { LoadgenArgs, LoadgenCommand, LoadTarget, StepCommand, StepResult } from './loadgen.js';

const START_DEADLINE_MS = 30_000;
const STOP_DEADLINE_MS = 20_000;

export interface Proc {
  readonly pid: number;
  /** Stops the process (SIGTERM, then SIGKILL after 20 s) and resolves once it has exited. */
  close(): Promise<void>;
}

export interface UrlProc extends Proc {
  readonly url: string;
}

interface SpawnOpts {
  name: string;
  stdin?: 'pipe' | 'ignore';
  nodeFlags?: string[];
  env?: NodeJS.ProcessEnv;
}

/** Starts a `swiftlet …` process and waits for the `{"url": …}` line it prints when it listens. */
export async function startUrlProcess(cli: CliSpec, args: string[], o: SpawnOpts): Promise<UrlProc> {
  const { child, lines, stderrTail } = spawnPiped(cli, args, o);
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => fail(`did not print its address within ${START_DEADLINE_MS} ms`), START_DEADLINE_MS);
    const fail = (why: string): void => {
      clearTimeout(timer);
      lines.off('line', onLine);
      child.kill('SIGKILL');
      const tail = stderrTail();
      reject(new Error(`${o.name} ${why}${tail ? `: ${tail}` : ''}`));
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null): void =>
      fail(`exited early (${signal ?? `code ${code}`})`);
    const onLine = (line: string): void => {
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch {
        return;
      }
      const p = parsed as { url?: unknown; level?: unknown };
      if (typeof p.url !== 'string' || p.level !== undefined) return;
      clearTimeout(timer);
      child.off('exit', onExit);
      lines.off('line', onLine);
      resolve(p.url);
    };
    child.once('exit', onExit);
    child.once('error', (err) => fail(`could not start (${err.message})`));
    lines.on('line', onLine);
  });
  return { url, pid: child.pid!, close: () => stop(child) };
}

export interface Loadgen extends Proc {
  addTarget(target: LoadTarget): Promise<void>;
  step(cmd: Omit<StepCommand, 'op' | 'id'>): Promise<StepResult>;
}

export async function startLoadgen(cli: CliSpec, args: LoadgenArgs): Promise<Loadgen> {
  const spec: ChildSpec = { role: 'loadgen', args };
  const { child, lines, stderrTail } = spawnPiped(cli, ['bench', 'loadgen'], {
    name: 'the load generator',
    stdin: 'pipe',
    env: { ...process.env, [CHILD_ENV]: JSON.stringify(spec) },
  });
  const waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let nextId = 1;
  let exited: Error | undefined;
  child.once('exit', (code, signal) => {
    exited = new Error(`the load generator exited (${signal ?? `code ${code}`}): ${stderrTail() || 'no output'}`);
    for (const w of waiting.values()) w.reject(exited);
    waiting.clear();
  });
  lines.on('line', (line) => {
    const msg = JSON.parse(line) as { id: number; result?: unknown };
    const w = waiting.get(msg.id);
    waiting.delete(msg.id);
    w?.resolve(msg.result);
  });
  const call = (cmd: LoadgenCommand & { id: number }): Promise<unknown> =>
    new Promise((resolve, reject) => {
      if (exited) return reject(exited);
      waiting.set(cmd.id, { resolve, reject });
      child.stdin!.write(JSON.stringify(cmd) + '\n');
    });
  return {
    pid: child.pid!,
    async addTarget(target) {
      await call({ op: 'target', id: nextId++, target });
    },
    async step(cmd) {
      return (await call({ op: 'step', id: nextId++, ...cmd })) as StepResult;
    },
    async close() {
      if (!exited) child.stdin!.end(JSON.stringify({ op: 'quit' }) + '\n');
      await stop(child);
    },
  };
}

function spawnPiped(
  cli: CliSpec,
  args: string[],
  o: SpawnOpts,
): { child: ChildProcess; lines: Interface; stderrTail: () => string } {
  const child = spawnCli(cli, args, {
    ...(o.nodeFlags ? { nodeFlags: o.nodeFlags } : {}),
    ...(o.env ? { env: o.env } : {}),
    stdio: [o.stdin ?? 'ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr = (stderr + s).slice(-4000)));
  // Keep reading stdout after start-up, so that a process logging there never blocks on a full pipe.
  const lines = createInterface({ input: child.stdout! });
  return { child, lines, stderrTail: () => stderr.trim() };
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_DEADLINE_MS);
  await exited;
  clearTimeout(timer);
}
