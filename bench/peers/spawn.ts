// Starting a child process of `bench:peers` and reading its answer, its time to first answer and its peak RSS.
import { once } from 'node:events';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { spawnCli, type CliSpec } from '../child.js';
import { rssBytes } from '../proc.js';
import { CHILD_ENV, type ChildAnswer, type ChildArgs } from './protocol.js';

export type ChildSpawn = CliSpec;

export interface ChildRun<R> {
  result: R;
  /** Spawn → the child's answer line arrived (the start workload's figure). */
  firstLineMs: number;
  /** Highest VmRSS read from /proc every 100 ms while the child ran (NaN off Linux). */
  peakRssBytes: number;
}

const RSS_EVERY_MS = 100;
/** A child that has not answered by then is killed and reported as failed. */
const CHILD_DEADLINE_MS = 15 * 60_000;

export async function runChild<R>(child: ChildSpawn, args: ChildArgs, nodeFlags: string[]): Promise<ChildRun<R>> {
  const t0 = performance.now();
  const proc = spawnCli(child, [], {
    nodeFlags,
    // Mastra would otherwise send usage telemetry from some code paths; the benchmark stays off the network.
    env: { ...process.env, [CHILD_ENV]: JSON.stringify(args), MASTRA_TELEMETRY_DISABLED: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let peak = Number.NaN;
  const sample = (): void => {
    const rss = rssBytes(proc.pid!);
    if (Number.isFinite(rss) && !(rss <= peak)) peak = rss;
  };
  const sampler = setInterval(sample, RSS_EVERY_MS);
  let stderr = '';
  proc.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr = (stderr + s).slice(-4000)));
  // A framework may log to stdout too: the answer is the line that starts as one.
  let firstLineMs = Number.NaN;
  let answerLine = '';
  let other = '';
  createInterface({ input: proc.stdout! }).on('line', (line) => {
    if (line.startsWith('{"ok":')) {
      if (answerLine === '') firstLineMs = performance.now() - t0;
      answerLine = line;
    } else other = (other + line + '\n').slice(-2000);
  });
  const killer = setTimeout(() => proc.kill('SIGKILL'), CHILD_DEADLINE_MS);
  try {
    // 'close', not 'exit': stdout is read to its end.
    const [code, signal] = (await once(proc, 'close')) as [number | null, NodeJS.Signals | null];
    let answer: ChildAnswer<R> | undefined;
    try {
      answer = JSON.parse(answerLine) as ChildAnswer<R>;
    } catch {
      answer = undefined;
    }
    if (answer?.ok === true && code === 0) return { result: answer.result, firstLineMs, peakRssBytes: peak };
    const why = answer?.ok === false ? answer.error : stderr.trim() || other.trim() || 'no output';
    throw new Error(
      `${args.contender} ${args.workload} child exited (${signal ?? `code ${code}`}): ${firstLines(why)}`,
    );
  } finally {
    clearInterval(sampler);
    clearTimeout(killer);
  }
}

/** An error's message and its first stack frames, enough to tell where a framework failed. */
function firstLines(text: string): string {
  return text.split('\n').slice(0, 4).join(' | ');
}

/** spawn → exit of `node [flags] args` (the bare-node reference of the start workload). */
export async function timeExit(nodeFlags: string[], args: string[]): Promise<number> {
  const t0 = performance.now();
  const proc = spawn(process.execPath, [...nodeFlags, ...args], { stdio: 'ignore' });
  const [code] = (await once(proc, 'exit')) as [number | null];
  const ms = performance.now() - t0;
  if (code !== 0) throw new Error(`node ${args.join(' ')} exited with code ${code}`);
  return ms;
}
