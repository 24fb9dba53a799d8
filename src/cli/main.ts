#!/usr/bin/env node
// The `swiftlet` command. Keeps start-up light: a command's module is imported only when that command runs.
import nodeModule, { createRequire } from 'node:module';
import { SwiftletError } from '../core/index.js';
import { EXIT, helpText, parseCommandArgs, reportError, type Command } from './command.js';

declare const __SWIFTLET_VERSION__: string | undefined;

// Node ≥ 22.1 keeps compiled code in an on-disk cache, so every start after the first skips most compile time. On
// Node 20 the function does not exist and this does nothing.
(nodeModule as { enableCompileCache?: () => unknown }).enableCompileCache?.();

const COMMANDS: Record<string, { summary: string; load: () => Promise<{ default: Command }> }> = {
  run: { summary: 'run one turn and stream the reply', load: () => import('./commands/run.js') },
  chat: { summary: 'interactive chat in the terminal', load: () => import('./commands/chat.js') },
  serve: { summary: 'run the HTTP server and its APIs', load: () => import('./commands/serve.js') },
  sessions: { summary: 'list, show, delete and prune sessions', load: () => import('./commands/sessions.js') },
  tasks: { summary: 'send, follow, cancel and list tasks for agents', load: () => import('./commands/tasks.js') },
  config: { summary: 'check a config file or print its JSON Schema', load: () => import('./commands/config.js') },
  'mock-llm': {
    summary: 'serve the built-in mock LLM (OpenAI and Anthropic wire formats)',
    load: () => import('./commands/mock-llm.js'),
  },
  bench: {
    summary: 'measure Swiftlet against hand-written baselines (see bench --help)',
    load: () => import('./commands/bench.js'),
  },
};

function version(): string {
  if (typeof __SWIFTLET_VERSION__ === 'string') return __SWIFTLET_VERSION__;
  // Running from source (tests, development): read the version from package.json.
  return (createRequire(import.meta.url)('../../package.json') as { version: string }).version;
}

function mainHelp(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((k) => k.length)) + 2;
  const rows = Object.entries(COMMANDS).map(([k, c]) => `  ${k.padEnd(width)}${c.summary}`);
  return [
    'Usage: swiftlet <command> [options]',
    '',
    'Commands:',
    ...rows,
    '',
    'Options: --help, --version; every command takes --config <file>, --json, --help.',
    "Run `swiftlet <command> --help` for a command's options.",
    '',
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(mainHelp());
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  if (name === '--version' || name === '-v') {
    process.stdout.write(`swiftlet ${version()}\n`);
    return EXIT.ok;
  }
  const entry = COMMANDS[name];
  const json = rest.includes('--json');
  if (!entry) {
    const err = new SwiftletError('SWIFTLET_ERR_UNKNOWN_COMMAND', `unknown command "${name}" (see swiftlet --help)`);
    return reportError(err, { stderr: process.stderr, json });
  }
  const cmd = (await entry.load()).default;
  if (rest.includes('--version')) {
    process.stdout.write(`swiftlet ${version()}\n`);
    return EXIT.ok;
  }
  try {
    const { values, positionals } = parseCommandArgs(cmd, rest);
    if (values.help) {
      process.stdout.write(cmd.subcommandHelp?.(positionals) ?? helpText(cmd));
      return EXIT.ok;
    }
    return await cmd.run({
      values,
      positionals,
      stdout: process.stdout,
      stderr: process.stderr,
      stdin: process.stdin,
      json,
    });
  } catch (err) {
    return reportError(err, { stderr: process.stderr, json });
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`swiftlet: ${(err as Error)?.message ?? String(err)}\n`);
    process.exitCode = EXIT.failed;
  },
);
