import { createInterface } from 'node:readline';
import { LOCAL_TENANT, SwiftletError, newId, type TodoItem } from '../../core/index.js';
import { EXIT, stringOpt, tenantOpt, tenantOption, type Command, type CommandContext } from '../command.js';
import { TurnPrinter } from '../render.js';
import { cliRuntime } from '../runtime-setup.js';

const HELP = 'commands: /new (new session), /todo (show the plan), /session (show the id), /help, /exit';

const command: Command = {
  name: 'chat',
  summary: 'Interactive chat with an agent in the terminal. Sessions are saved; resume one with -s.',
  usage: 'chat [-a agent] [-s session] [-t tenant]',
  options: {
    agent: {
      type: 'string',
      short: 'a',
      description: 'agent name (default: the session\'s, else "assistant")',
      valueName: 'name',
    },
    session: { type: 'string', short: 's', description: 'resume this session (default: a new one)', valueName: 'id' },
    tenant: tenantOption('the tenant whose sessions these are (default: local)'),
  },
  details: `In the chat, ${HELP}.\nCtrl-C interrupts the running turn; Ctrl-C with no turn running (or twice) exits.`,
  async run(ctx) {
    const tenant = tenantOpt(ctx.values, LOCAL_TENANT);
    const runtime = await cliRuntime(ctx);
    const agent = stringOpt(ctx.values, 'agent');
    let sessionId = stringOpt(ctx.values, 'session') ?? newId('ses');
    const interactive = Boolean(ctx.stdin.isTTY);
    const rl = createInterface({ input: ctx.stdin, output: ctx.stdout, terminal: interactive, prompt: 'you> ' });
    let current: AbortController | undefined;
    let exiting = false;
    const onInterrupt = (): void => {
      if (current && !current.signal.aborted) {
        current.abort(new SwiftletError('SWIFTLET_ERR_ABORTED', 'interrupted by Ctrl-C'));
        return;
      }
      exiting = true;
      rl.close();
    };
    rl.on('SIGINT', onInterrupt);
    process.on('SIGINT', onInterrupt);
    const existing = await runtime.getSession(sessionId, { tenant });
    ctx.stderr.write(
      `${existing ? 'resuming' : 'new'} session ${sessionId} (agent ${existing?.agent ?? agent ?? 'assistant'}). ${HELP}\n`,
    );
    const printer = new TurnPrinter(ctx.stdout, ctx.stderr);
    try {
      if (interactive) rl.prompt();
      for await (const raw of rl) {
        const line = raw.trim();
        if (line === '') {
          if (interactive) rl.prompt();
          continue;
        }
        if (line.startsWith('/')) {
          const cmd = line.split(/\s+/)[0];
          if (cmd === '/exit' || cmd === '/quit') break;
          if (cmd === '/new') {
            sessionId = newId('ses');
            ctx.stderr.write(`new session ${sessionId}\n`);
          } else if (cmd === '/session') ctx.stderr.write(`session ${sessionId}\n`);
          else if (cmd === '/todo')
            ctx.stdout.write(formatTodos((await runtime.sessionState(sessionId, { tenant })).get('todo')));
          else if (cmd === '/help') ctx.stderr.write(HELP + '\n');
          else ctx.stderr.write(`unknown command ${cmd}; ${HELP}\n`);
          if (interactive) rl.prompt();
          continue;
        }
        current = new AbortController();
        try {
          const turn = runtime.run({
            tenant,
            input: line,
            sessionId,
            signal: current.signal,
            ...(agent === undefined ? {} : { agent }),
          });
          for await (const event of turn) {
            if (ctx.json) ctx.stdout.write(JSON.stringify(event) + '\n');
            else printer.event(event);
          }
        } catch (err) {
          const e = SwiftletError.isInstance(err) ? err : new SwiftletError('SWIFTLET_ERR_INTERNAL', String(err));
          ctx.stderr.write(`error: ${e.message} [${e.code}]\n`);
        } finally {
          current = undefined;
        }
        if (exiting) break;
        if (interactive) rl.prompt();
      }
    } finally {
      printer.close();
      rl.close();
      process.off('SIGINT', onInterrupt);
      await runtime.close();
    }
    ctx.stderr.write(`session ${sessionId} saved; resume with: ${resumeCommand(ctx, sessionId, tenant)}\n`);
    return EXIT.ok;
  },
};

/** The command that resumes this chat: the same session, tenant and config file. */
function resumeCommand(ctx: CommandContext, sessionId: string, tenant: string): string {
  const config = stringOpt(ctx.values, 'config');
  return [
    'swiftlet chat -s',
    shellWord(sessionId),
    ...(tenant === LOCAL_TENANT ? [] : ['-t', shellWord(tenant)]),
    ...(config === undefined ? [] : ['--config', shellWord(config)]),
  ].join(' ');
}

/** `word` as the shell reads it back: as is when it is safe, else single-quoted. */
function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

export function formatTodos(value: unknown): string {
  const items = Array.isArray(value) ? (value as TodoItem[]) : [];
  if (items.length === 0) return '(no todo items)\n';
  const mark = { pending: '[ ]', in_progress: '[~]', done: '[x]' } as const;
  return items.map((t) => `${mark[t.status] ?? '[ ]'} ${t.id}. ${t.text}`).join('\n') + '\n';
}

export default command;
