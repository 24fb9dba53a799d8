// Where the config comes from, first match wins: an explicit path, env SWIFTLET_CONFIG, ./swiftlet.yaml or
// ./swiftlet.yml in the working directory, else the built-in default.
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { SwiftletError } from '../core/index.js';
import { defaultConfig } from './defaults.js';
import { parseConfig } from './parse.js';
import type { LoadedConfig } from './types.js';

export interface LoadOptions {
  path?: string;
  env?: Record<string, string | undefined>;
  cwd?: string;
}

export async function loadConfig(opts: LoadOptions = {}): Promise<LoadedConfig> {
  const env = opts.env ?? process.env;
  const cwd = opts.cwd ?? process.cwd();
  const explicit = opts.path ?? (env.SWIFTLET_CONFIG || undefined);
  if (explicit !== undefined) {
    const file = resolve(cwd, explicit);
    const text = await read(file);
    if (text === null) {
      const via = opts.path === undefined ? ' (from SWIFTLET_CONFIG)' : '';
      throw new SwiftletError('SWIFTLET_ERR_CONFIG_NOT_FOUND', `config file ${file}${via} not found`, {
        field: 'config',
      });
    }
    return parseConfig(text, { env, source: file });
  }
  const found: { file: string; text: string }[] = [];
  for (const name of ['swiftlet.yaml', 'swiftlet.yml']) {
    const file = resolve(cwd, name);
    const text = await read(file);
    if (text !== null) found.push({ file, text });
  }
  const [first, second] = found;
  if (first !== undefined) {
    const loaded = parseConfig(first.text, { env, source: first.file });
    if (second !== undefined) loaded.warnings.unshift(`both ${first.file} and ${second.file} exist; using the first`);
    return loaded;
  }
  return defaultConfig(env, { cwd });
}

/** The file's text, or null when there is no such file. Other failures (permissions, a directory) are reported. */
async function read(file: string): Promise<string | null> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new SwiftletError(
      'SWIFTLET_ERR_CONFIG_NOT_FOUND',
      `config file ${file} cannot be read: ${(err as Error).message}`,
      {
        cause: err,
        field: 'config',
      },
    );
  }
}
