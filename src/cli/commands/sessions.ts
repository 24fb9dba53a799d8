import {
  ALL_TENANTS,
  LOCAL_TENANT,
  SwiftletError,
  isValidTenant,
  type Entry,
  type JSONValue,
  type SessionInfo,
  type SessionKey,
  type TenantScope,
} from '../../core/index.js';
import type { StorageConfig } from '../../config/index.js';
import { openStore, type SessionStore } from '../../store/index.js';
import { EXIT, intOpt, stringOpt, tenantOpt, tenantOption, type Command, type CommandContext } from '../command.js';
import { loadCliConfig } from '../runtime-setup.js';
import { formatTodos } from './chat.js';

const SUBCOMMANDS = ['list', 'show', 'delete', 'move', 'prune'];

const command: Command = {
  name: 'sessions',
  summary: 'Lists, shows, deletes, moves and prunes stored sessions, as the operator (every tenant).',
  usage:
    'sessions list [--tenant T] [--agent name] [--limit N] | show <id> [--tenant T] | delete <id> [--tenant T]\n' +
    '       | move <id> --to T [--tenant F] | prune [--tenant T] [--max-messages N] [--ttl-days D]',
  options: {
    tenant: tenantOption('list, prune: only this tenant (default: all); show, delete, move: the owner (default local)'),
    to: { type: 'string', description: 'move: the tenant that gets the session', valueName: 'T' },
    agent: { type: 'string', short: 'a', description: 'list: only sessions of this agent', valueName: 'name' },
    limit: { type: 'string', short: 'n', description: 'list: at most N sessions (default 50)', valueName: 'N' },
    cursor: { type: 'string', description: 'list: continue from a previous page', valueName: 'cursor' },
    'max-messages': { type: 'string', description: 'prune: keep at most N messages per session', valueName: 'N' },
    'ttl-days': { type: 'string', description: 'prune: delete sessions idle for more than D days', valueName: 'D' },
  },
  details:
    'The CLI works on the store directly, as the operator: it sees every tenant. Sessions made without API keys,\n' +
    'by `swiftlet run`/`chat` without --tenant, and every session stored before tenants existed belong to tenant\n' +
    '"local"; `sessions move <id> --to T` gives one (its whole log, same id) to tenant T.\n' +
    'prune without flags applies storage.pruning from the config. Pruning drops whole turns, oldest first, so tool\n' +
    'calls and their results stay together; the newest todo list is kept.',
  async run(ctx) {
    const [sub, id] = ctx.positionals;
    if (sub === undefined || !SUBCOMMANDS.includes(sub)) {
      throw new SwiftletError(
        'SWIFTLET_ERR_INVALID_INPUT',
        'expected a subcommand: list, show <id>, delete <id>, move <id> --to <tenant> or prune',
      );
    }
    if ((sub === 'show' || sub === 'delete' || sub === 'move') && id === undefined) {
      throw new SwiftletError('SWIFTLET_ERR_INVALID_INPUT', `sessions ${sub}: missing the session id`);
    }
    const named = tenantOpt(ctx.values, undefined);
    const to = sub === 'move' ? moveTarget(ctx) : undefined;
    const { config } = await loadCliConfig(ctx, { warn: false });
    const store = await openFromConfig(config.storage);
    try {
      if (sub === 'list') return await list(ctx, store, named ?? ALL_TENANTS);
      const key = { tenant: named ?? LOCAL_TENANT, id: id! };
      if (sub === 'show') return await show(ctx, store, key);
      if (sub === 'delete') {
        if (!(await store.delete(key))) throw notFound(key);
        ctx.stdout.write(ctx.json ? JSON.stringify({ deleted: id, tenant: key.tenant }) + '\n' : `deleted ${id}\n`);
        return EXIT.ok;
      }
      if (sub === 'move') {
        if (!(await store.move(key, to!))) throw notFound(key);
        ctx.stdout.write(
          ctx.json
            ? JSON.stringify({ moved: id, from: key.tenant, to }) + '\n'
            : `moved ${id} from tenant ${key.tenant} to tenant ${to}\n`,
        );
        return EXIT.ok;
      }
      const maxMessages = intOpt(ctx.values, 'max-messages') ?? config.storage.pruning.maxMessages;
      const ttlDays = intOpt(ctx.values, 'ttl-days') ?? config.storage.pruning.ttlDays;
      if (maxMessages === undefined && ttlDays === undefined) {
        throw new SwiftletError(
          'SWIFTLET_ERR_INVALID_INPUT',
          'nothing to prune: give --max-messages or --ttl-days, or set storage.pruning in the config',
        );
      }
      const result = await store.prune(named ?? ALL_TENANTS, {
        ...(maxMessages === undefined ? {} : { maxMessages }),
        ...(ttlDays === undefined ? {} : { ttlMs: ttlDays * 86_400_000 }),
      });
      ctx.stdout.write(
        ctx.json
          ? JSON.stringify(result) + '\n'
          : `pruned: ${result.sessionsExpired} sessions expired, ${result.entriesDropped} entries dropped\n`,
      );
      return EXIT.ok;
    } finally {
      await store.close();
    }
  },
};

function moveTarget(ctx: CommandContext): string {
  const to = stringOpt(ctx.values, 'to');
  if (to === undefined) {
    throw new SwiftletError('SWIFTLET_ERR_INVALID_INPUT', 'sessions move: give the new tenant with --to <tenant>');
  }
  if (!isValidTenant(to)) {
    throw new SwiftletError('SWIFTLET_ERR_INVALID_INPUT', '--to: expected 1-64 letters, digits, "_" or "-"');
  }
  return to;
}

function notFound(key: SessionKey): SwiftletError {
  return new SwiftletError('SWIFTLET_ERR_SESSION_NOT_FOUND', `no session ${key.id} in tenant ${key.tenant}`);
}

export async function openFromConfig(s: StorageConfig): Promise<SessionStore> {
  if (s.driver === 'postgres') {
    return openStore({ driver: 'postgres', url: s.url!, ...(s.schema === undefined ? {} : { schema: s.schema }) });
  }
  if (s.driver === 'sqlite') return openStore({ driver: 'sqlite', path: s.path, synchronous: s.synchronous });
  return openStore({ driver: 'memory' });
}

async function list(ctx: CommandContext, store: SessionStore, scope: TenantScope): Promise<number> {
  const agent = stringOpt(ctx.values, 'agent');
  const cursor = stringOpt(ctx.values, 'cursor');
  const page = await store.list(scope, {
    limit: intOpt(ctx.values, 'limit', 50)!,
    ...(agent === undefined ? {} : { agent }),
    ...(cursor === undefined ? {} : { cursor }),
  });
  if (ctx.json) {
    ctx.stdout.write(JSON.stringify({ ...page, sessions: page.sessions.map(sessionJson) }) + '\n');
    return EXIT.ok;
  }
  if (page.sessions.length === 0) ctx.stdout.write('(no sessions)\n');
  for (const s of page.sessions) ctx.stdout.write(row(s) + '\n');
  if (page.nextCursor) ctx.stdout.write(`more: swiftlet sessions list --cursor ${page.nextCursor}\n`);
  return EXIT.ok;
}

// --json writes times as ISO 8601 strings, as the HTTP API does; the store keeps epoch milliseconds.
function sessionJson(s: SessionInfo): Omit<SessionInfo, 'createdAt' | 'updatedAt'> & {
  createdAt: string;
  updatedAt: string;
} {
  return { ...s, createdAt: new Date(s.createdAt).toISOString(), updatedAt: new Date(s.updatedAt).toISOString() };
}

function entryJson(e: Entry): Omit<Entry, 'at'> & { at: string } {
  return { ...e, at: new Date(e.at).toISOString() };
}

/** One line per session; the title (the first user message, at most 80 characters) last, as it varies most. */
function row(s: SessionInfo): string {
  const updated = new Date(s.updatedAt).toISOString().replace('T', ' ').slice(0, 19);
  const running = s.openTurn ? '  (turn running)' : '';
  const title = s.title === undefined ? '' : `  ${s.title}`;
  return `${s.tenant.padEnd(12)}  ${s.id}  ${s.agent.padEnd(12)}  ${updated}  ${s.lastSeq} entries${running}${title}`;
}

async function show(ctx: CommandContext, store: SessionStore, key: SessionKey): Promise<number> {
  const info = await store.getSession(key);
  if (!info) throw notFound(key);
  const entries = await store.load(key);
  if (ctx.json) {
    ctx.stdout.write(JSON.stringify({ session: sessionJson(info), entries: entries.map(entryJson) }) + '\n');
    return EXIT.ok;
  }
  ctx.stdout.write(row(info) + '\n\n');
  let todo: JSONValue | undefined;
  for (const e of entries) {
    const line = transcriptLine(e);
    if (line) ctx.stdout.write(line + '\n');
    if (e.type === 'state' && e.key === 'todo') todo = e.value;
  }
  if (todo !== undefined) ctx.stdout.write('\ntodo:\n' + formatTodos(todo));
  return EXIT.ok;
}

function transcriptLine(e: Entry): string | undefined {
  switch (e.type) {
    case 'user':
      return `you: ${e.text}`;
    case 'assistant': {
      const calls = (e.toolCalls ?? []).map((c) => `  → ${c.name}(${c.arguments})`).join('\n');
      const text = e.text ? `agent: ${e.text}${e.interrupted ? ' [interrupted]' : ''}` : '';
      return [text, calls].filter(Boolean).join('\n') || undefined;
    }
    case 'tool_result':
      return `  ${e.isError ? '✗' : '←'} ${e.name}: ${e.output.length > 300 ? e.output.slice(0, 300) + '…' : e.output}`;
    case 'turn_end':
      return e.outcome === 'final' ? undefined : `  [turn ${e.outcome}${e.error ? `: ${e.error.message}` : ''}]`;
    default:
      return undefined;
  }
}

export default command;
