// `swiftlet tasks`: tasks on the configured store, as the operator. Like `sessions`, it works on the store directly,
// beside a running server: `send` records a task through a bus of its own that never consumes (the server's sweep
// picks the task up within bus.sweepMs), `watch` follows the task's events as they are committed, `cancel` ends it
// (the server aborts its consumer at its next sweep).
import type { LocalBus } from '../../bus/index.js';
import type { SwiftletConfig } from '../../config/index.js';
import {
  ALL_TENANTS,
  LOCAL_TENANT,
  SwiftletError,
  TASK_STATES,
  isTerminal,
  targetLabel,
  type JSONValue,
  type TaskEvent,
  type TaskRecord,
  type TaskSpec,
  type TaskState,
  type TaskTarget,
} from '../../core/index.js';
import type { SessionStore } from '../../store/index.js';
import {
  EXIT,
  GLOBAL_OPTIONS,
  helpText,
  intOpt,
  stringOpt,
  tenantOpt,
  tenantOption,
  type Command,
  type CommandContext,
  type OptionSpec,
} from '../command.js';
import { openBus } from '../../runtime/index.js';
import { loadCliConfig } from '../runtime-setup.js';
import { openFromConfig } from './sessions.js';

type Sub = 'send' | 'get' | 'watch' | 'cancel' | 'list';

const OWN_TENANT = tenantOption('the tenant the task belongs to (default local)');

const SEND: Record<string, OptionSpec> = {
  agent: { type: 'string', short: 'a', description: 'send it to this agent', valueName: 'name' },
  skill: { type: 'string', description: 'send it to one of the agents offering this skill', valueName: 'name' },
  broadcast: { type: 'boolean', description: 'send it to every agent (one child task each)' },
  'filter-skill': { type: 'string', description: '--broadcast: only agents offering this skill', valueName: 'name' },
  'filter-agent': {
    type: 'string',
    multiple: true,
    description: '--broadcast: only this agent (repeat for more)',
    valueName: 'name',
  },
  data: { type: 'string', description: 'JSON the task carries beside (or instead of) its text', valueName: 'json' },
  priority: {
    type: 'string',
    description: 'higher runs first (default 0; a negative one as --priority=-1)',
    valueName: 'N',
  },
  deadline: {
    type: 'string',
    description: 'fail the task unless it ends by then: 30s, 5m, 2h, 1d, or an ISO 8601 time',
    valueName: 'when',
  },
  'idempotency-key': {
    type: 'string',
    description: 'a second send with this key (in the tenant) returns the first task',
    valueName: 'key',
  },
  parent: { type: 'string', description: 'the task this one was made for', valueName: 'id' },
  wait: { type: 'boolean', short: 'w', description: 'wait for the end and print the result' },
  tenant: OWN_TENANT,
};

const SUBS: Record<Sub, { usage: string; summary: string; options: Record<string, OptionSpec>; details?: string }> = {
  send: {
    usage:
      'tasks send (--agent name | --skill name | --broadcast [--filter-skill s] [--filter-agent a]) [--wait]\n' +
      '       [--data json] [--priority N] [--deadline when] [--idempotency-key key] [--tenant T] "text"',
    summary: 'Sends a task. Prints its id (with --wait: its result, once it has ended).',
    options: SEND,
    details:
      'The text comes from the arguments (or stdin when none are given and --data is absent). A running server\n' +
      'on the same store takes the task within bus.sweepMs; this command never runs it. With --wait, the exit\n' +
      'code is 0 when the task completed and 1 when it failed, was canceled or was rejected; Ctrl-C stops waiting,\n' +
      'not the task.',
  },
  get: {
    usage: 'tasks get <id> [--tenant T]',
    summary: 'Shows a task: its state, input, who holds it, its result or error.',
    options: { tenant: OWN_TENANT },
  },
  watch: {
    usage: 'tasks watch <id> [--tenant T] [--after seq]',
    summary: "Prints a task's events as they are recorded, until it ends.",
    options: {
      tenant: OWN_TENANT,
      after: { type: 'string', description: 'only the events after this seq', valueName: 'seq' },
    },
    details:
      'Exit code 0 when the task completed, 1 when it failed, was canceled or was rejected, 130 on Ctrl-C\n' +
      '(the task goes on). With --json, one JSON line per event.',
  },
  cancel: {
    usage: 'tasks cancel <id> [--tenant T] [--reason text]',
    summary: "Cancels a task (and a broadcast's children); its agent is interrupted. An ended task is left as it is.",
    options: {
      tenant: OWN_TENANT,
      reason: { type: 'string', description: "recorded with the task's canceled state", valueName: 'text' },
    },
  },
  list: {
    usage: 'tasks list [--tenant T] [--state s] [--agent name] [--parent id] [--limit N] [--cursor c]',
    summary: 'Lists tasks, newest first.',
    options: {
      tenant: tenantOption('only this tenant (default: every tenant)'),
      state: { type: 'string', description: `only tasks in this state: ${TASK_STATES.join(', ')}`, valueName: 's' },
      agent: { type: 'string', short: 'a', description: 'only tasks sent to or held by this agent', valueName: 'name' },
      parent: { type: 'string', description: 'only the children of this task', valueName: 'id' },
      limit: { type: 'string', short: 'n', description: 'at most N tasks (default 50)', valueName: 'N' },
      cursor: { type: 'string', description: 'continue from a previous page', valueName: 'cursor' },
    },
  },
};

const NAMES = Object.keys(SUBS) as Sub[];

const command: Command = {
  name: 'tasks',
  summary: 'Sends, shows, follows, cancels and lists tasks on the configured store, as the operator.',
  usage:
    'tasks send (--agent a | --skill s | --broadcast) [--wait] "text" | get <id> | watch <id> | cancel <id> | list',
  options: {
    ...SEND,
    tenant: tenantOption("list: only this tenant (default: all); the others: the task's tenant (default local)"),
    agent: {
      type: 'string',
      short: 'a',
      description: 'send: the agent to send to; list: only its tasks',
      valueName: 'name',
    },
    parent: {
      type: 'string',
      description: "send: the task it was made for; list: only that task's children",
      valueName: 'id',
    },
    after: SUBS.watch.options.after!,
    reason: SUBS.cancel.options.reason!,
    state: SUBS.list.options.state!,
    limit: SUBS.list.options.limit!,
    cursor: SUBS.list.options.cursor!,
  },
  details:
    'Each subcommand has its own help: swiftlet tasks send --help. The CLI works on the store the config names,\n' +
    'beside a running server: a task sent here is taken by the server within bus.sweepMs. Tasks are described in\n' +
    'docs/tasks.md.',
  subcommandHelp(positionals) {
    const sub = positionals[0] as Sub | undefined;
    if (sub === undefined || !NAMES.includes(sub)) return undefined;
    const s = SUBS[sub];
    return helpText({ ...command, usage: s.usage, summary: s.summary, options: s.options, details: s.details ?? '' });
  },
  async run(ctx) {
    const [sub, ...rest] = ctx.positionals as [Sub | undefined, ...string[]];
    if (sub === undefined || !NAMES.includes(sub)) {
      throw usage('expected a subcommand: send, get <id>, watch <id>, cancel <id> or list (see swiftlet tasks --help)');
    }
    checkOptions(ctx, sub);
    if (sub !== 'send' && sub !== 'list') {
      if (rest.length !== 1) throw usage(`tasks ${sub}: expected one task id (see swiftlet tasks ${sub} --help)`);
    } else if (sub === 'list' && rest.length > 0) {
      throw usage(`tasks list: unexpected arguments "${rest.join(' ')}"`);
    }
    const { config } = await loadCliConfig(ctx, { warn: false });
    const spec = sub === 'send' ? await sendSpec(ctx, config, rest) : undefined;
    const store = await openFromConfig(config.storage);
    let bus: LocalBus;
    try {
      bus = await openBus(config.bus, store, {
        // Nothing here consumes tasks: a broadcast reaches the configured agents, which the server runs.
        recipients: Object.values(config.agents).map((a) => ({ agent: a.name, skills: a.skills.map((k) => k.name) })),
      });
    } catch (err) {
      await store.close();
      throw err;
    }
    try {
      switch (sub) {
        case 'send':
          return await send(ctx, config, bus, spec!);
        case 'get':
          return await get(ctx, store, tenantOpt(ctx.values, LOCAL_TENANT), rest[0]!);
        case 'watch':
          return await watch(ctx, bus, await requireTask(store, tenantOpt(ctx.values, LOCAL_TENANT), rest[0]!));
        case 'cancel':
          return await cancel(ctx, bus, tenantOpt(ctx.values, LOCAL_TENANT), rest[0]!);
        case 'list':
          return await list(ctx, store);
      }
    } finally {
      await bus.close();
      await store.close();
    }
  },
};

function usage(message: string, field?: string): SwiftletError {
  return new SwiftletError('SWIFTLET_ERR_INVALID_INPUT', message, field === undefined ? {} : { field });
}

/** Options another subcommand takes are refused, so a misplaced flag does not pass unnoticed. */
function checkOptions(ctx: CommandContext, sub: Sub): void {
  const own = SUBS[sub].options;
  for (const [name, value] of Object.entries(ctx.values)) {
    if (value === undefined || name in GLOBAL_OPTIONS || name in own) continue;
    throw usage(`tasks ${sub}: --${name} does not apply (see swiftlet tasks ${sub} --help)`, name);
  }
}

// ---------------------------------------------------------------------------------------------------------------------
// send

async function sendSpec(ctx: CommandContext, config: SwiftletConfig, words: string[]): Promise<TaskSpec> {
  const target = targetOf(ctx, config);
  const dataText = stringOpt(ctx.values, 'data');
  let data: JSONValue | undefined;
  if (dataText !== undefined) {
    try {
      data = JSON.parse(dataText) as JSONValue;
    } catch (err) {
      throw usage(`--data: not JSON (${(err as Error).message})`, 'data');
    }
  }
  let text = words.join(' ');
  if (text === '' && data === undefined && !ctx.stdin.isTTY) text = (await readAll(ctx.stdin)).trim();
  if (text === '' && data === undefined) throw usage('tasks send: give the text, --data, or both', 'text');
  const priority = signedInt(ctx, 'priority');
  const deadlineText = stringOpt(ctx.values, 'deadline');
  const key = stringOpt(ctx.values, 'idempotency-key');
  if (key !== undefined && (key.length < 1 || key.length > 128)) {
    throw usage('--idempotency-key: 1 to 128 characters', 'idempotency-key');
  }
  const parentId = stringOpt(ctx.values, 'parent');
  return {
    tenant: tenantOpt(ctx.values, LOCAL_TENANT),
    target,
    input: { ...(text === '' ? {} : { text }), ...(data === undefined ? {} : { data }) },
    requester: { kind: 'cli', id: 'cli' },
    ...(priority === undefined ? {} : { priority }),
    ...(deadlineText === undefined ? {} : { deadline: parseDeadline(deadlineText) }),
    ...(key === undefined ? {} : { idempotencyKey: key }),
    ...(parentId === undefined ? {} : { parentId }),
  };
}

/** The target from --agent, --skill or --broadcast, checked against the configured agents (the only consumers). */
function targetOf(ctx: CommandContext, config: SwiftletConfig): TaskTarget {
  const agent = stringOpt(ctx.values, 'agent');
  const skill = stringOpt(ctx.values, 'skill');
  const broadcast = ctx.values.broadcast === true;
  const given = [agent !== undefined && '--agent', skill !== undefined && '--skill', broadcast && '--broadcast'];
  const named = given.filter((g): g is string => g !== false);
  if (named.length !== 1) {
    throw usage(
      named.length === 0
        ? 'tasks send: say where the task goes: --agent <name>, --skill <name> or --broadcast'
        : `tasks send: give one of --agent, --skill and --broadcast, not ${named.join(' and ')}`,
      'target',
    );
  }
  const filterSkill = stringOpt(ctx.values, 'filter-skill');
  const filterAgents = ctx.values['filter-agent'] as string[] | undefined;
  if (!broadcast && (filterSkill !== undefined || filterAgents !== undefined)) {
    throw usage('--filter-skill and --filter-agent go with --broadcast', filterSkill ? 'filter-skill' : 'filter-agent');
  }
  const agents = Object.values(config.agents);
  const offered = (s: string): boolean => agents.some((a) => a.skills.some((k) => k.name === s));
  const known = (name: string, field: string): void => {
    if (!Object.hasOwn(config.agents, name)) {
      throw new SwiftletError('SWIFTLET_ERR_AGENT_NOT_FOUND', `--${field}: no agent named "${name}" is configured`, {
        field,
      });
    }
  };
  const noSkill = (s: string, field: string): SwiftletError =>
    usage(`--${field}: no configured agent offers skill "${s}"`, field);
  if (agent !== undefined) {
    known(agent, 'agent');
    return { agent };
  }
  if (skill !== undefined) {
    if (!offered(skill)) throw noSkill(skill, 'skill');
    return { skill };
  }
  for (const name of filterAgents ?? []) known(name, 'filter-agent');
  if (filterSkill !== undefined && !offered(filterSkill)) throw noSkill(filterSkill, 'filter-skill');
  if (filterSkill === undefined && filterAgents === undefined) return { broadcast: true };
  return {
    broadcast: true,
    filter: {
      ...(filterSkill === undefined ? {} : { skill: filterSkill }),
      ...(filterAgents === undefined ? {} : { agents: [...new Set(filterAgents)] }),
    },
  };
}

async function send(ctx: CommandContext, config: SwiftletConfig, bus: LocalBus, spec: TaskSpec): Promise<number> {
  const task = await bus.publish(spec);
  if (ctx.values.wait !== true) {
    ctx.stdout.write(ctx.json ? JSON.stringify(taskJson(task)) + '\n' : `${task.id}\n`);
    return EXIT.ok;
  }
  if (!ctx.json) ctx.stderr.write(`task: ${task.id}\n`);
  return follow(ctx, bus, task, async (end) => {
    if (ctx.json) ctx.stdout.write(JSON.stringify(taskJson(end)) + '\n');
    else if (end.state === 'completed') ctx.stdout.write(resultText(end) + '\n');
  });
}

// ---------------------------------------------------------------------------------------------------------------------
// get, watch, cancel, list

async function requireTask(store: SessionStore, tenantName: string, id: string): Promise<TaskRecord> {
  const task = await store.tasks.get(tenantName, id);
  if (!task) {
    throw new SwiftletError('SWIFTLET_ERR_TASK_NOT_FOUND', `no task ${id} in tenant ${tenantName}`, { field: 'id' });
  }
  return task;
}

async function get(ctx: CommandContext, store: SessionStore, tenantName: string, id: string): Promise<number> {
  const task = await requireTask(store, tenantName, id);
  if (ctx.json) {
    ctx.stdout.write(JSON.stringify(taskJson(task)) + '\n');
    return EXIT.ok;
  }
  const lines = [row(task)];
  if (task.input.text !== undefined) lines.push(`input: ${task.input.text}`);
  if (task.input.data !== undefined) lines.push(`data: ${JSON.stringify(task.input.data)}`);
  const extra = [
    task.priority === 0 ? '' : `priority ${task.priority}`,
    task.deadline === undefined ? '' : `deadline ${iso(task.deadline)}`,
    task.parentId === undefined ? '' : `parent ${task.parentId}`,
    task.idempotencyKey === undefined ? '' : `idempotency key ${task.idempotencyKey}`,
  ].filter(Boolean);
  if (extra.length > 0) lines.push(extra.join(', '));
  lines.push(`requested by ${task.requester.kind} ${task.requester.id}; created ${iso(task.createdAt)}`);
  if (task.state === 'completed') lines.push(resultBlock(task).trimEnd());
  if (task.error) lines.push(`error: ${task.error.message} [${task.error.code}]`);
  ctx.stdout.write(lines.join('\n') + '\n');
  return EXIT.ok;
}

async function watch(ctx: CommandContext, bus: LocalBus, task: TaskRecord): Promise<number> {
  const after = intOpt(ctx.values, 'after');
  if (after !== undefined && after > task.lastSeq) {
    throw usage(`--after: task ${task.id} has ${task.lastSeq} events so far`, 'after');
  }
  if (isTerminal(task.state) && (after ?? 0) >= task.lastSeq) return endCode(task.state);
  return follow(
    ctx,
    bus,
    task,
    async (end) => {
      if (!ctx.json && end.state === 'completed') ctx.stdout.write(resultBlock(end));
    },
    after ?? 0,
    (e) => {
      ctx.stdout.write(ctx.json ? JSON.stringify(eventJson(e)) + '\n' : eventLine(e) + '\n');
    },
  );
}

/**
 * Follows a task to its end (the bus re-reads the store every bus.sweepMs), then reads its record; `done` prints it.
 * Exit code by the end state; Ctrl-C stops following.
 */
async function follow(
  ctx: CommandContext,
  bus: LocalBus,
  task: TaskRecord,
  done: (end: TaskRecord) => Promise<void>,
  afterSeq = 0,
  onEvent?: (e: TaskEvent) => void,
): Promise<number> {
  const controller = new AbortController();
  const onSigint = (): void => controller.abort(new SwiftletError('SWIFTLET_ERR_ABORTED', 'interrupted by Ctrl-C'));
  process.on('SIGINT', onSigint);
  try {
    let last: TaskEvent | undefined;
    for await (const e of bus.watch(task.tenant, task.id, { afterSeq, signal: controller.signal })) {
      onEvent?.(e);
      last = e;
    }
    const end = (await bus.tasks.get(task.tenant, task.id)) ?? task;
    await done(end);
    if (last === undefined && !isTerminal(end.state)) return EXIT.failed;
    if (end.state !== 'completed' && !ctx.json) {
      const why = end.error ? `: ${end.error.message} [${end.error.code}]` : '';
      ctx.stderr.write(`swiftlet: task ${end.id} ${end.state}${why}\n`);
    }
    return endCode(end.state);
  } catch (err) {
    if (controller.signal.aborted) {
      ctx.stderr.write(`stopped watching; task ${task.id} goes on (swiftlet tasks cancel ${task.id} ends it)\n`);
      return EXIT.interrupted;
    }
    throw err;
  } finally {
    process.off('SIGINT', onSigint);
  }
}

function endCode(state: TaskState): number {
  return state === 'completed' ? EXIT.ok : EXIT.failed;
}

async function cancel(ctx: CommandContext, bus: LocalBus, tenantName: string, id: string): Promise<number> {
  const before = await bus.tasks.get(tenantName, id);
  if (!before) {
    throw new SwiftletError('SWIFTLET_ERR_TASK_NOT_FOUND', `no task ${id} in tenant ${tenantName}`, { field: 'id' });
  }
  const reason = stringOpt(ctx.values, 'reason');
  if (!isTerminal(before.state)) await bus.cancel(tenantName, id, reason ?? 'canceled from the command line');
  const after = (await bus.tasks.get(tenantName, id)) ?? before;
  if (ctx.json) ctx.stdout.write(JSON.stringify(taskJson(after)) + '\n');
  else if (isTerminal(before.state)) ctx.stdout.write(`task ${id} had already ended: ${before.state}\n`);
  else ctx.stdout.write(`task ${id} ${after.state}\n`);
  return EXIT.ok;
}

async function list(ctx: CommandContext, store: SessionStore): Promise<number> {
  const state = stringOpt(ctx.values, 'state');
  if (state !== undefined && !(TASK_STATES as readonly string[]).includes(state)) {
    throw usage(`--state: expected one of ${TASK_STATES.join(', ')}`, 'state');
  }
  const agent = stringOpt(ctx.values, 'agent');
  const parentId = stringOpt(ctx.values, 'parent');
  const cursor = stringOpt(ctx.values, 'cursor');
  const limit = intOpt(ctx.values, 'limit', 50)!;
  if (limit < 1) throw usage('--limit: expected a positive integer', 'limit');
  const page = await store.tasks.list(tenantOpt(ctx.values, undefined) ?? ALL_TENANTS, {
    limit,
    ...(state === undefined ? {} : { state: state as TaskState }),
    ...(agent === undefined ? {} : { agent }),
    ...(parentId === undefined ? {} : { parentId }),
    ...(cursor === undefined ? {} : { cursor }),
  });
  if (ctx.json) {
    ctx.stdout.write(JSON.stringify({ ...page, tasks: page.tasks.map(taskJson) }) + '\n');
    return EXIT.ok;
  }
  if (page.tasks.length === 0) ctx.stdout.write('(no tasks)\n');
  for (const t of page.tasks) ctx.stdout.write(row(t) + '\n');
  if (page.nextCursor) ctx.stdout.write(`more: swiftlet tasks list --cursor ${page.nextCursor}\n`);
  return EXIT.ok;
}

// ---------------------------------------------------------------------------------------------------------------------
// Output: --json as the HTTP API shows tasks (ISO times, no claim internals); lines for a person otherwise.

function taskJson(t: TaskRecord): Record<string, unknown> {
  const { leaseUntil: _lease, deadline, createdAt, updatedAt, lastSeq, ...rest } = t;
  return {
    ...rest,
    ...(deadline === undefined ? {} : { deadline: iso(deadline) }),
    createdAt: iso(createdAt),
    updatedAt: iso(updatedAt),
    lastSeq,
  };
}

function eventJson(e: TaskEvent): Record<string, unknown> {
  const { seq, at, ...data } = e;
  return { seq, at: iso(at), ...data };
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** One line per task: tenant, id, state, target, who holds it, when it last changed, the start of its text. */
function row(t: TaskRecord): string {
  const updated = iso(t.updatedAt).replace('T', ' ').slice(0, 19);
  const holder = t.assignee === undefined ? '' : `  ${t.assignee} (attempt ${t.attempt}/${t.maxAttempts})`;
  const text = t.input.text === undefined ? '' : `  ${cut(t.input.text, 60)}`;
  const target = targetLabel(t.target).padEnd(16);
  return `${t.tenant.padEnd(12)}  ${t.id}  ${t.state.padEnd(14)}  ${target}  ${updated}${holder}${text}`;
}

function eventLine(e: TaskEvent): string {
  const head = `${String(e.seq).padStart(4)}  ${iso(e.at).slice(11, 23)}  `;
  switch (e.type) {
    case 'state': {
      const who = e.assignee === undefined ? '' : ` (attempt ${e.attempt ?? '?'}, ${e.assignee})`;
      const why = e.message === undefined ? '' : `: ${e.message}`;
      const error = e.error === undefined ? '' : ` [${e.error.code}] ${e.error.message}`;
      return `${head}${e.state}${who}${why}${error}`;
    }
    case 'progress':
      if (e.text !== undefined) return `${head}${e.text}`;
      return `${head}${JSON.stringify(e.data)}`;
    case 'artifact':
      return `${head}artifact ${e.artifact.name ?? e.artifact.kind}`;
  }
}

/** The result as lines: the message, or a broadcast's children with their end states. */
function resultText(t: TaskRecord): string {
  const r = t.result;
  if (!r) return '';
  if (r.children) return r.children.map((c) => `${c.agent}: ${c.state} (${c.id})`).join('\n');
  return r.message ?? '';
}

/** `result: <message>`, or `result:` over the children indented. */
function resultBlock(t: TaskRecord): string {
  const text = resultText(t);
  return t.result?.children ? `result:\n${text.replace(/^/gm, '  ')}\n` : `result: ${text}\n`;
}

function cut(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? flat.slice(0, max - 1) + '…' : flat;
}

// ---------------------------------------------------------------------------------------------------------------------
// Values

function signedInt(ctx: CommandContext, name: string): number | undefined {
  const v = stringOpt(ctx.values, name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!/^-?\d+$/.test(v) || !Number.isSafeInteger(n) || Math.abs(n) > 2 ** 31 - 1) {
    throw usage(`--${name}: expected an integer, got "${v}"`, name);
  }
  return n;
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})$/i;

/** `30s`, `5m`, `2h`, `1d`, `500ms` from now, or an ISO 8601 time with its offset; in the future. */
export function parseDeadline(text: string, now = Date.now()): number {
  const rel = /^(\d+)(ms|s|m|h|d)$/.exec(text);
  const at = rel ? now + Number(rel[1]) * UNITS[rel[2]!]! : ISO_TIME.test(text) ? Date.parse(text) : NaN;
  if (!Number.isSafeInteger(at)) {
    throw usage(`--deadline: expected 30s, 5m, 2h, 1d or an ISO 8601 time with its offset, got "${text}"`, 'deadline');
  }
  if (at <= now) throw usage('--deadline: must be in the future', 'deadline');
  return at;
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(typeof c === 'string' ? Buffer.from(c) : c);
  return Buffer.concat(chunks).toString('utf8');
}

export default command;
