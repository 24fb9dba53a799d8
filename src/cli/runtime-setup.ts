import type { LoadedConfig } from '../config/index.js';
import { loadConfig } from '../config/index.js';
import { createRuntime, type Runtime } from '../runtime/index.js';
import { stringOpt, type CommandContext } from './command.js';

/** Loads the config named by --config (or the usual discovery) and prints its warnings loudly on stderr. */
export async function loadCliConfig(ctx: CommandContext): Promise<LoadedConfig> {
  const path = stringOpt(ctx.values, 'config');
  const loaded = await loadConfig(path === undefined ? {} : { path });
  for (const w of loaded.warnings) {
    const loud = ctx.stderr.isTTY ? `\x1b[1;33mWARNING: ${w}\x1b[0m` : `WARNING: ${w}`;
    ctx.stderr.write(loud + '\n');
  }
  return loaded;
}

export async function cliRuntime(ctx: CommandContext): Promise<Runtime> {
  return createRuntime({ config: await loadCliConfig(ctx) });
}
