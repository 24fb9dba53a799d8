// `swiftlet mock-llm` serves the built-in mock LLM until SIGINT/SIGTERM, for benchmarks and for trying Swiftlet
// without a provider account.
import { readFile } from 'node:fs/promises';
import { SwiftletError } from '../../core/index.js';
// The mock's own entry, not the model folder's: this command needs none of the provider adapters.
import { parseMockScript, startMockLlm, type MockLlmOptions, type MockReply } from '../../model/mock/index.js';
import { EXIT, intOpt, stringOpt, type Command, type CommandContext } from '../command.js';

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

const command: Command = {
  name: 'mock-llm',
  summary: 'serve the built-in mock LLM (OpenAI and Anthropic wire formats)',
  usage:
    'mock-llm [--port 8787] [--host 127.0.0.1] [--first-token-ms N] [--token-delay-ms N] [--tokens N] [--script file.json]',
  options: {
    port: {
      type: 'string',
      short: 'p',
      description: 'port to listen on, 0 for any free port (default 8787)',
      valueName: 'port',
    },
    host: { type: 'string', description: 'address to bind (default 127.0.0.1)', valueName: 'host' },
    'first-token-ms': { type: 'string', description: 'delay before the first token (default 0)', valueName: 'ms' },
    'token-delay-ms': { type: 'string', description: 'delay between streamed tokens (default 0)', valueName: 'ms' },
    tokens: { type: 'string', description: 'length of the default reply in tokens (default 12)', valueName: 'n' },
    script: { type: 'string', description: 'JSON array of replies, one per step of a turn', valueName: 'file.json' },
  },
  details: [
    'Endpoints: POST /v1/chat/completions, POST /v1/responses, POST /v1/messages, GET /v1/models, POST /v1/embeddings.',
    'OpenAI base URL: http://HOST:PORT/v1   Anthropic base URL: http://HOST:PORT',
    'Control: GET /_mock/requests, POST /_mock/config, POST /_mock/faults, POST /_mock/reset.',
    'A script step looks like {"text": "…", "toolCalls": [{"name": "tool", "arguments": {…}}]}.',
  ].join('\n'),
  async run(ctx) {
    if (ctx.positionals.length > 0) {
      throw new SwiftletError('SWIFTLET_ERR_INVALID_INPUT', `unexpected arguments "${ctx.positionals.join(' ')}"`);
    }
    const options = await readOptions(ctx);
    const mock = await startMockLlm(options);
    if (!LOOPBACK.has(options.host ?? '127.0.0.1')) {
      ctx.stderr.write(`warning: the mock LLM is reachable from other machines on ${options.host ?? ''}\n`);
    }
    ctx.stdout.write(
      ctx.json ? JSON.stringify({ url: mock.url, port: mock.port }) + '\n' : `mock LLM listening on ${mock.url}\n`,
    );
    await untilSignal();
    await mock.close();
    return EXIT.ok;
  },
};

export default command;

async function readOptions(ctx: CommandContext): Promise<MockLlmOptions> {
  const port = intOpt(ctx.values, 'port', 8787) as number;
  if (port > 65535) {
    throw new SwiftletError('SWIFTLET_ERR_INVALID_INPUT', `--port: expected 0 to 65535, got ${port}`, {
      field: 'port',
    });
  }
  const host = stringOpt(ctx.values, 'host') ?? '127.0.0.1';
  if (host === '')
    throw new SwiftletError('SWIFTLET_ERR_INVALID_INPUT', '--host: expected an address', { field: 'host' });
  const options: MockLlmOptions = {
    host,
    port,
    firstTokenMs: intOpt(ctx.values, 'first-token-ms', 0) as number,
    tokenDelayMs: intOpt(ctx.values, 'token-delay-ms', 0) as number,
    outputTokens: intOpt(ctx.values, 'tokens', 12) as number,
  };
  const file = stringOpt(ctx.values, 'script');
  if (file !== undefined) options.script = await readScript(file);
  return options;
}

async function readScript(file: string): Promise<MockReply[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message;
    throw new SwiftletError('SWIFTLET_ERR_INVALID_INPUT', `--script: cannot read ${file}: ${reason}`, {
      field: 'script',
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new SwiftletError(
      'SWIFTLET_ERR_INVALID_INPUT',
      `--script: ${file} is not valid JSON: ${(err as Error).message}`,
      {
        field: 'script',
      },
    );
  }
  try {
    return parseMockScript(json, 'script');
  } catch (err) {
    throw new SwiftletError('SWIFTLET_ERR_INVALID_INPUT', `--script ${file}: ${(err as Error).message}`, {
      field: 'script',
    });
  }
}

function untilSignal(): Promise<void> {
  return new Promise((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
