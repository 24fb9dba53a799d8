import type { LoadedConfig } from '../config/index.js';
import { loadConfig } from '../config/index.js';
import { createRuntime, type Runtime } from '../runtime/index.js';
import { stringOpt, type CommandContext } from './command.js';

/**
 * Loads the config named by --config (or the usual discovery) and prints its warnings loudly on stderr. Commands that
 * only read the store (`sessions …`) pass `warn: false`: the warnings are about models and the server, which they
 * never use.
 */
export async function loadCliConfig(ctx: CommandContext, opts: { warn?: boolean } = {}): Promise<LoadedConfig> {
  const path = stringOpt(ctx.values, 'config');
  const loaded = await loadConfig(path === undefined ? {} : { path });
  if (opts.warn === false) return loaded;
  for (const w of loaded.warnings) {
    const loud = ctx.stderr.isTTY ? `\x1b[1;33mWARNING: ${w}\x1b[0m` : `WARNING: ${w}`;
    ctx.stderr.write(loud + '\n');
  }
  return loaded;
}

export async function cliRuntime(ctx: CommandContext): Promise<Runtime> {
  // A one-off command beside a server must not take the server's tasks.
  return createRuntime({ config: await loadCliConfig(ctx), consumeTasks: false });
}
