import { parseArgs, type ParseArgsConfig } from 'node:util';
import { SwiftletError, isValidTenant, toSwiftletError } from '../core/index.js';

export type OptionSpec = NonNullable<ParseArgsConfig['options']>[string] & { description: string; valueName?: string };

/** One CLI command. Each lives in its own file under src/cli/commands/ and is loaded only when invoked. */
export interface Command {
  name: string;
  summary: string;
  /** Usage line(s) after `swiftlet `, e.g. `run [-a agent] [-s session] "prompt"`. */
  usage: string;
  options: Record<string, OptionSpec>;
  /** Extra text printed by --help after the options. */
  details?: string;
  /** The help of a subcommand (`tasks send --help`), from the positionals; undefined: the command's own. */
  subcommandHelp?(positionals: readonly string[]): string | undefined;
  run(ctx: CommandContext): Promise<number>;
}

export interface CommandContext {
  values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  positionals: string[];
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  json: boolean;
}

/** Options every command accepts. */
export const GLOBAL_OPTIONS: Record<string, OptionSpec> = {
  config: {
    type: 'string',
    short: 'c',
    description: 'config file (default: ./swiftlet.yaml if present)',
    valueName: 'file',
  },
  json: { type: 'boolean', description: 'machine-readable JSON output' },
  help: { type: 'boolean', short: 'h', description: 'show this help' },
};

/** Exit codes shared by every command. */
export const EXIT = { ok: 0, failed: 1, usage: 2, interrupted: 130 } as const;

export function helpText(cmd: Command): string {
  const all = { ...cmd.options, ...GLOBAL_OPTIONS };
  const lines = [`Usage: swiftlet ${cmd.usage}`, '', cmd.summary, '', 'Options:'];
  const rows = Object.entries(all).map(([name, o]) => {
    const flag = `${o.short ? `-${o.short}, ` : '    '}--${name}${o.type === 'string' ? ` <${o.valueName ?? 'value'}>` : ''}`;
    return [flag, o.description] as const;
  });
  const width = Math.max(...rows.map(([f]) => f.length)) + 2;
  for (const [flag, desc] of rows) lines.push(`  ${flag.padEnd(width)}${desc}`);
  if (cmd.details) lines.push('', cmd.details.trimEnd());
  return lines.join('\n') + '\n';
}

export function parseCommandArgs(cmd: Command, argv: string[]): Pick<CommandContext, 'values' | 'positionals'> {
  const options: ParseArgsConfig['options'] = {};
  for (const [name, o] of Object.entries({ ...cmd.options, ...GLOBAL_OPTIONS })) {
    const { description: _d, valueName: _v, ...spec } = o;
    options[name] = spec;
  }
  try {
    const parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
    return { values: parsed.values, positionals: parsed.positionals };
  } catch (err) {
    throw new SwiftletError('SWIFTLET_ERR_INVALID_INPUT', (err as Error).message);
  }
}

/** Prints an error as one readable line (or JSON with --json) and returns the exit code for it. */
export function reportError(err: unknown, ctx: Pick<CommandContext, 'stderr' | 'json'>): number {
  const e = toSwiftletError(err);
  if (ctx.json) {
    ctx.stderr.write(JSON.stringify({ error: e.toJSON() }) + '\n');
  } else {
    ctx.stderr.write(`swiftlet: ${e.message}${e.code === 'SWIFTLET_ERR_INTERNAL' ? '' : ` [${e.code}]`}\n`);
    for (const issue of e.issues ?? []) ctx.stderr.write(`  ${issue.path}: ${issue.message}\n`);
  }
  if (e.code === 'SWIFTLET_ERR_ABORTED') return EXIT.interrupted;
  return e.fault === 'user' ? EXIT.usage : EXIT.failed;
}

export function stringOpt(values: CommandContext['values'], name: string): string | undefined {
  const v = values[name];
  return typeof v === 'string' ? v : undefined;
}

export function intOpt(values: CommandContext['values'], name: string, fallback?: number): number | undefined {
  const v = stringOpt(values, name);
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) {
    throw new SwiftletError('SWIFTLET_ERR_INVALID_INPUT', `--${name}: expected a non-negative integer, got "${v}"`, {
      field: name,
    });
  }
  return n;
}

/** `--tenant <name>`: the tenant whose sessions a command works on. */
export function tenantOption(description: string): OptionSpec {
  return { type: 'string', short: 't', description, valueName: 'name' };
}

/** The `--tenant` given, checked; `fallback` when absent. */
export function tenantOpt<T extends string | undefined>(values: CommandContext['values'], fallback: T): string | T {
  const v = stringOpt(values, 'tenant');
  if (v === undefined) return fallback;
  if (!isValidTenant(v)) {
    throw new SwiftletError('SWIFTLET_ERR_INVALID_INPUT', `--tenant: expected 1-64 letters, digits, "_" or "-"`, {
      field: 'tenant',
    });
  }
  return v;
}
