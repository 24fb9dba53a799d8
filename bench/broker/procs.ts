// The parent's side of the `broker` helper: start one, forward its progress, collect its answer when it exits.
import { createInterface } from 'node:readline';
import { spawnCli, type CliSpec } from '../child.js';
import { BROKER_CHILD_ENV } from '../roles.js';
import type { BrokerChildSpec, ChildEvent } from './types.js';

/** A helper that has not answered within this long is stopped. */
const DEADLINE_MS = 20 * 60_000;

export type Answer = Exclude<ChildEvent, { event: 'progress' }>;

export function runHelper(
  cli: CliSpec,
  spec: BrokerChildSpec,
  o: { nodeFlags?: string[]; onProgress: (line: string) => void },
): Promise<Answer> {
  const child = spawnCli(cli, ['bench', 'broker-child'], {
    ...(o.nodeFlags ? { nodeFlags: o.nodeFlags } : {}),
    env: { ...process.env, [BROKER_CHILD_ENV]: JSON.stringify(spec) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr = (stderr + s).slice(-4000)));
  let answer: Answer | undefined;
  createInterface({ input: child.stdout! }).on('line', (line) => {
    let e: ChildEvent;
    try {
      e = JSON.parse(line) as ChildEvent;
    } catch {
      return;
    }
    if (e.event === 'progress') o.onProgress(e.line);
    else answer = e;
  });
  const name =
    spec.role === 'floor'
      ? 'the floor process'
      : spec.role === 'jetstream'
        ? 'the raw JetStream process'
        : spec.role === 'grpcConsumer'
          ? 'the gRPC consumer process'
          : `the bus process (${spec.store.kind})`;
  return new Promise<Answer>((resolve, reject) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), DEADLINE_MS);
    const tail = (): string => (stderr.trim() ? `: ${stderr.trim().split('\n').slice(-3).join(' ')}` : '');
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`${name} could not start (${err.message})`));
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (answer && code === 0) resolve(answer);
      else reject(new Error(`${name} exited without an answer (${signal ?? `code ${code}`})${tail()}`));
    });
  });
}
