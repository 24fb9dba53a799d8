// How to start another `swiftlet` process (the mock LLM, the memory probe) the way this one was started: the same
// node binary, the same loader flags (`--import tsx` when running from source), the same CLI entry.
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';

/** The CLI entry and the node flags a child needs; `script` is `dist/cli.js` or `src/cli/main.ts`. */
export interface CliSpec {
  execArgv: string[];
  script: string;
}

/** Flags that describe this process's own profiling or debugging, not how to load the code. */
const PRIVATE_FLAG = /^--(cpu-prof|heap-prof|prof|inspect|expose-gc|diagnostic-dir)/;

export function currentCli(): CliSpec {
  const script = process.argv[1];
  if (script === undefined) throw new Error('cannot tell which script started this process');
  const execArgv: string[] = [];
  const argv = process.execArgv;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (PRIVATE_FLAG.test(a)) {
      // A separate value belongs to the dropped flag (`--cpu-prof-dir DIR`).
      if (!a.includes('=') && /-(dir|name|interval)$/.test(a)) i++;
      continue;
    }
    execArgv.push(a);
  }
  return { execArgv, script };
}

export function spawnCli(
  cli: CliSpec,
  args: string[],
  opts: { nodeFlags?: string[]; env?: NodeJS.ProcessEnv; stdio: StdioOptions },
): ChildProcess {
  const child = spawn(process.execPath, [...(opts.nodeFlags ?? []), ...cli.execArgv, cli.script, ...args], {
    stdio: opts.stdio,
    env: opts.env ?? process.env,
  });
  // A benchmark stopped half-way must not leave a mock server behind.
  const kill = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', kill);
  child.once('exit', () => process.off('exit', kill));
  return child;
}
