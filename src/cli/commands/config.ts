// `swiftlet config check [file]` validates a config and says what it defines; `swiftlet config schema` prints the
// JSON Schema editors use to autocomplete swiftlet.yaml.
import { SwiftletError } from '../../core/index.js';
import { configJsonSchema, loadConfig, type LoadedConfig } from '../../config/index.js';
import { redactConfig } from '../redact-config.js';
import { EXIT, reportError, stringOpt, type Command, type CommandContext } from '../command.js';

const USAGE = 'config check [file]\n       swiftlet config schema';

const command: Command = {
  name: 'config',
  summary: 'check a config file or print its JSON Schema',
  usage: USAGE,
  options: {},
  details: [
    'check   validate a config (the file given, else --config, SWIFTLET_CONFIG, ./swiftlet.yaml, else the built-in',
    '        default) and list every problem with its path; exit 2 if there are any',
    'schema  print the JSON Schema (draft 2020-12) of swiftlet.yaml, for editor autocompletion',
  ].join('\n'),
  async run(ctx) {
    const [sub, ...rest] = ctx.positionals;
    try {
      if (sub === 'check' && rest.length <= 1) return await check(ctx, rest[0] ?? stringOpt(ctx.values, 'config'));
      if (sub === 'schema' && rest.length === 0) {
        ctx.stdout.write(JSON.stringify(configJsonSchema(), null, 2) + '\n');
        return EXIT.ok;
      }
      const what = sub === undefined ? 'missing subcommand' : `unexpected arguments "${ctx.positionals.join(' ')}"`;
      throw new SwiftletError(
        'SWIFTLET_ERR_INVALID_INPUT',
        `${what}; usage: swiftlet ${USAGE.replace(/\n\s+/g, ' | ')}`,
      );
    } catch (err) {
      return reportError(err, ctx);
    }
  },
};

export default command;

async function check(ctx: CommandContext, file: string | undefined): Promise<number> {
  const loaded = await loadConfig(file === undefined ? {} : { path: file });
  const { agents, providers, storage } = loaded.config;
  if (ctx.json) {
    ctx.stdout.write(JSON.stringify({ ok: true, ...summary(loaded), config: redactConfig(loaded.config) }) + '\n');
    return EXIT.ok;
  }
  const agentNames = Object.keys(agents);
  const providerCount = Object.keys(providers).length;
  ctx.stdout.write(
    `ok: ${loaded.source ?? '(built-in default)'}: ${plural(agentNames.length, 'agent')} (${agentNames.join(', ')}), ` +
      `${plural(providerCount, 'provider')}, storage ${storage.driver}\n`,
  );
  for (const w of loaded.warnings) ctx.stderr.write(`warning: ${w}\n`);
  return EXIT.ok;
}

function summary(loaded: LoadedConfig) {
  return {
    source: loaded.source,
    agents: Object.keys(loaded.config.agents),
    providers: Object.keys(loaded.config.providers),
    storage: loaded.config.storage.driver,
    warnings: loaded.warnings,
  };
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
