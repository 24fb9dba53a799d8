import { LOCAL_TENANT, SwiftletError } from '../../core/index.js';
import { EXIT, stringOpt, tenantOpt, tenantOption, type Command } from '../command.js';
import { exitCodeFor, TurnPrinter } from '../render.js';
import { cliRuntime } from '../runtime-setup.js';

const command: Command = {
  name: 'run',
  summary: 'Runs one turn: sends the prompt to an agent and streams the reply to stdout.',
  usage: 'run [-a agent] [-s session] [-t tenant] "prompt"   (or the prompt on stdin)',
  options: {
    agent: {
      type: 'string',
      short: 'a',
      description: 'agent name (default: the session\'s, else "assistant")',
      valueName: 'name',
    },
    session: {
      type: 'string',
      short: 's',
      description: 'session id to continue, or to create if none has it (default: a new id)',
      valueName: 'id',
    },
    tenant: tenantOption('the tenant whose session this is (default: local)'),
  },
  details: [
    'The reply streams to stdout; tool calls and the session id go to stderr. With --json, every event is printed',
    'as one JSON line on stdout. Ctrl-C interrupts the turn cleanly (the partial reply is kept, marked interrupted).',
    '-s with an id no session has starts a new session under that id and says so on stderr',
    '("no session <id>: started a new one"), so a mistyped id does not pass unnoticed.',
    '',
    'Exit codes: 0 final answer, 1 failed, 2 bad usage or config, 3 stopped at max steps, 130 interrupted.',
  ].join('\n'),
  async run(ctx) {
    let input = ctx.positionals.join(' ');
    if (input === '' && !ctx.stdin.isTTY) input = (await readAll(ctx.stdin)).trim();
    if (input === '')
      throw new SwiftletError('SWIFTLET_ERR_INVALID_INPUT', 'no prompt given (see swiftlet run --help)');
    const tenant = tenantOpt(ctx.values, LOCAL_TENANT);
    const runtime = await cliRuntime(ctx);
    const controller = new AbortController();
    const onSigint = (): void => {
      if (controller.signal.aborted) process.exit(EXIT.interrupted);
      controller.abort(new SwiftletError('SWIFTLET_ERR_ABORTED', 'interrupted by Ctrl-C'));
    };
    process.on('SIGINT', onSigint);
    const printer = new TurnPrinter(ctx.stdout, ctx.stderr);
    try {
      const agent = stringOpt(ctx.values, 'agent');
      const sessionId = stringOpt(ctx.values, 'session');
      // -s with an id that does not exist starts a session under that id; a typo must not pass unnoticed.
      if (sessionId !== undefined && !(await runtime.getSession(sessionId, { tenant }))) {
        const where = tenant === LOCAL_TENANT ? '' : ` in tenant ${tenant}`;
        ctx.stderr.write(`no session ${sessionId}${where}: started a new one\n`);
      }
      const turn = runtime.run({
        tenant,
        input,
        signal: controller.signal,
        ...(agent === undefined ? {} : { agent }),
        ...(sessionId === undefined ? {} : { sessionId }),
      });
      let code: number = EXIT.failed;
      for await (const event of turn) {
        if (ctx.json) ctx.stdout.write(JSON.stringify(event) + '\n');
        else printer.event(event);
        if (event.type === 'turn-end') code = exitCodeFor(event.outcome);
      }
      if (!ctx.json) ctx.stderr.write(`session: ${turn.sessionId}\n`);
      return code;
    } finally {
      printer.close();
      process.off('SIGINT', onSigint);
      await runtime.close();
    }
  },
};

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(typeof c === 'string' ? Buffer.from(c) : c);
  return Buffer.concat(chunks).toString('utf8');
}

export default command;
