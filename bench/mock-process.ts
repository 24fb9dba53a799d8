// The mock LLM in its own process (`swiftlet mock-llm --port 0 --json`), so that its CPU time is not charged to the
// contenders and its garbage is not collected on their time.
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { MOCK_SCRIPT } from './workload.js';
import { spawnCli, type CliSpec } from './child.js';

export interface MockProcess {
  /** `http://127.0.0.1:PORT`; the OpenAI base URL is `${url}/v1`. */
  readonly url: string;
  readonly pid: number;
  close(): Promise<void>;
}

const START_DEADLINE_MS = 30_000;

/** `latencyMs` delays every answer (the whole JSON body, or a stream's first token) by that much. */
export async function startMockProcess(cli: CliSpec, dir: string, latencyMs = 0): Promise<MockProcess> {
  const script = join(dir, 'mock-script.json');
  writeFileSync(script, JSON.stringify(MOCK_SCRIPT));
  const latency = latencyMs > 0 ? ['--first-token-ms', String(latencyMs)] : [];
  const child = spawnCli(cli, ['mock-llm', '--port', '0', '--script', script, '--json', ...latency], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr = (stderr + s).slice(-4000)));
  const lines = createInterface({ input: child.stdout! });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => fail(`did not print its address within ${START_DEADLINE_MS} ms`), START_DEADLINE_MS);
    const fail = (why: string): void => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`the mock LLM process ${why}${stderr ? `: ${stderr.trim()}` : ''}`));
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null): void =>
      fail(`exited early (${signal ?? `code ${code}`})`);
    child.once('exit', onExit);
    child.once('error', (err) => fail(`could not start (${err.message})`));
    lines.once('line', (line) => {
      clearTimeout(timer);
      child.off('exit', onExit);
      try {
        resolve((JSON.parse(line) as { url: string }).url);
      } catch {
        fail(`printed an unexpected first line: ${line}`);
      }
    });
  });
  lines.close();
  child.stdout!.resume();
  return {
    url,
    pid: child.pid!,
    async close() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    },
  };
}
