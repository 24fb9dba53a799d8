import { z } from 'zod';
import type { TaskBus } from '../bus/index.js';
import { SwiftletError, isTerminal, type TaskRecord, type TaskTarget } from '../core/index.js';
import { defineTool } from './define.js';
import type { Tool, ToolContext } from './types.js';

export interface DelegateOptions {
  /** The agent whose turns use the tool. */
  agent: string;
  /** The bus, once the runtime has built it. */
  bus: () => TaskBus;
  /** Every configured agent with its skills: targets are checked against them. */
  agents: ReadonlyMap<string, readonly string[]>;
  /** Agents it may hand work to (default: every other agent). */
  allowAgents?: readonly string[];
  /** Longest chain of delegated tasks (a task made by a turn that runs for a task is one deeper). */
  maxDepth: number;
  /** Tasks one turn may make. */
  maxTasksPerTurn: number;
  /** Longest wait for a delegate's answer before the tool returns the task id to check later. */
  waitTimeoutMs: number;
}

const TASK_SESSION = /^task-(task_[0-9a-z]+)$/;
/** Turns remembered for the per-turn count; the oldest are forgotten past this. */
const MAX_TRACKED_TURNS = 10_000;

const delegateInput = z
  .object({
    agent: z.string().min(1).max(64).optional().describe('the agent to hand the task to, by name'),
    skill: z.string().min(1).max(64).optional().describe('or: a skill; one agent offering it takes the task'),
    task: z.string().min(1).max(100_000).describe('what the delegate should do, with everything it needs to know'),
    wait: z.boolean().optional().describe('wait for the answer (default true); false returns the task id at once'),
  })
  .superRefine((v, ctx) => {
    if ((v.agent === undefined) === (v.skill === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['agent'], message: 'give exactly one of agent or skill' });
    }
  });

const statusInput = z.object({
  taskId: z.string().min(1).max(200).describe('the id the delegate tool returned'),
  waitSeconds: z.number().min(0).max(600).optional().describe('wait up to this long for it to end (default 0)'),
});

function refused(message: string): SwiftletError {
  return new SwiftletError('SWIFTLET_ERR_DELEGATION_REFUSED', message);
}

/** What the model sees of a task. */
function view(t: TaskRecord): Record<string, unknown> {
  return {
    taskId: t.id,
    state: t.state,
    ...(t.assignee === undefined ? {} : { agent: t.assignee }),
    ...(t.result?.message === undefined ? {} : { answer: t.result.message }),
    ...(t.result?.artifacts?.length ? { artifacts: t.result.artifacts } : {}),
    ...(t.error === undefined ? {} : { error: t.error.message }),
  };
}

/**
 * `delegate` and `task_status`: an agent hands a task to another agent (by name or skill) through the bus. The
 * delegate works in its own session, so nothing of this turn's history reaches it but the task text. Refused: a
 * chain deeper than maxDepth, more than maxTasksPerTurn tasks in a turn, and any cycle (an agent already in the chain
 * of delegations that led to this turn). An interrupted turn cancels the tasks it made that are still running.
 */
export function createDelegateTools(o: DelegateOptions): Tool[] {
  const perTurn = new Map<string, number>();
  const allowed = new Set(o.allowAgents ?? [...o.agents.keys()].filter((a) => a !== o.agent));

  const delegate = defineTool({
    name: 'delegate',
    description:
      'Hand a task to another agent and get its answer. Name the agent, or a skill that one agent offering it ' +
      `will take. Agents: ${describeAgents(o, allowed)}. The delegate sees only the task text, so include ` +
      'everything it needs. With wait false, returns a task id to check later with task_status.',
    input: delegateInput,
    timeoutMs: o.waitTimeoutMs + 5000,
    run: async (args, ctx) => {
      const target: TaskTarget = args.agent !== undefined ? { agent: args.agent } : { skill: args.skill! };
      const parent = await parentTask(o.bus(), ctx);
      const chain = await chainOf(o.bus(), ctx.tenant, parent, o.agent);
      checkTarget(o, allowed, target, chain);
      const depth = parent ? parent.depth + 1 : 0;
      if (depth >= o.maxDepth) {
        throw refused(`delegation depth limit reached (${o.maxDepth}): do this part yourself`);
      }
      const count = (perTurn.get(ctx.turnId) ?? 0) + 1;
      if (count > o.maxTasksPerTurn) {
        throw refused(`at most ${o.maxTasksPerTurn} delegated tasks per turn`);
      }
      remember(perTurn, ctx.turnId, count);
      const bus = o.bus();
      const task = await bus.publish({
        tenant: ctx.tenant,
        target,
        input: { text: args.task },
        requester: { kind: 'agent', id: o.agent, sessionId: ctx.sessionId },
        ...(parent ? { parentId: parent.id } : {}),
      });
      // The task lives as long as the turn that made it: an interrupt cancels it.
      const cancel = (): void => void bus.cancel(task.tenant, task.id, 'the delegating turn was interrupted');
      ctx.turnSignal.addEventListener('abort', cancel, { once: true });
      if (args.wait === false) return view(task);
      const ended = await waitFor(bus, task, o.waitTimeoutMs, ctx.signal);
      if (ended && isTerminal(ended.state)) ctx.turnSignal.removeEventListener('abort', cancel);
      if (ended) return view(ended);
      const now = (await bus.tasks.get(task.tenant, task.id)) ?? task;
      return { ...view(now), note: 'still running: check later with task_status' };
    },
  });

  const status = defineTool({
    name: 'task_status',
    description: 'The state and, once done, the answer of a task handed out with delegate.',
    input: statusInput,
    timeoutMs: 605_000,
    run: async (args, ctx) => {
      const bus = o.bus();
      const task = await bus.tasks.get(ctx.tenant, args.taskId);
      if (!task || task.requester.kind !== 'agent') {
        throw new SwiftletError('SWIFTLET_ERR_TASK_NOT_FOUND', `no task ${args.taskId}`);
      }
      if (!args.waitSeconds || isTerminal(task.state)) return view(task);
      return view((await waitFor(bus, task, args.waitSeconds * 1000, ctx.signal)) ?? task);
    },
  });
  return [delegate, status];
}

function describeAgents(o: DelegateOptions, allowed: ReadonlySet<string>): string {
  const parts = [...allowed].map((a) => {
    const skills = o.agents.get(a) ?? [];
    return skills.length ? `${a} (skills: ${skills.join(', ')})` : a;
  });
  return parts.length ? parts.join('; ') : '(none)';
}

/** The task this turn runs for, when its session is a task's. */
async function parentTask(bus: TaskBus, ctx: ToolContext): Promise<TaskRecord | undefined> {
  const m = TASK_SESSION.exec(ctx.sessionId);
  return m ? bus.tasks.get(ctx.tenant, m[1]!) : undefined;
}

/** The agents of the delegations that led to this turn, this one included. */
async function chainOf(bus: TaskBus, tenant: string, parent: TaskRecord | undefined, self: string) {
  const chain = new Set([self]);
  let t = parent;
  for (let hops = 0; t && hops < 64; hops++) {
    if (t.requester.kind !== 'agent') break;
    chain.add(t.requester.id);
    const m = t.requester.sessionId === undefined ? null : TASK_SESSION.exec(t.requester.sessionId);
    t = m ? await bus.tasks.get(tenant, m[1]!) : undefined;
  }
  return chain;
}

function checkTarget(o: DelegateOptions, allowed: ReadonlySet<string>, target: TaskTarget, chain: Set<string>): void {
  if ('agent' in target) {
    if (chain.has(target.agent)) {
      throw refused(`${target.agent} is already working on this (${[...chain].join(' → ')}): that would be a cycle`);
    }
    if (!allowed.has(target.agent)) {
      throw refused(`no agent ${target.agent} to delegate to; agents: ${[...allowed].join(', ') || '(none)'}`);
    }
    return;
  }
  if (!('skill' in target)) return;
  const offering = [...o.agents].filter(([, skills]) => skills.includes(target.skill)).map(([a]) => a);
  if (offering.length === 0) throw refused(`no agent offers the skill ${target.skill}`);
  const looping = offering.filter((a) => chain.has(a));
  if (looping.length)
    throw refused(`the skill ${target.skill} is offered by ${looping.join(', ')}, already in the chain`);
  if (offering.some((a) => !allowed.has(a)))
    throw refused(`the skill ${target.skill} leads to agents not allowed here`);
}

function remember(perTurn: Map<string, number>, turnId: string, count: number): void {
  perTurn.delete(turnId);
  perTurn.set(turnId, count);
  if (perTurn.size > MAX_TRACKED_TURNS) perTurn.delete(perTurn.keys().next().value!);
}

/** The task once it ends, or undefined when `ms` passed first. Aborting the signal cancels the wait, not the task. */
async function waitFor(
  bus: TaskBus,
  task: TaskRecord,
  ms: number,
  signal: AbortSignal,
): Promise<TaskRecord | undefined> {
  const stop = new AbortController();
  const timer = setTimeout(() => stop.abort(), ms);
  const onAbort = (): void => stop.abort();
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    for await (const e of bus.watch(task.tenant, task.id, { afterSeq: task.lastSeq, signal: stop.signal })) {
      if (e.type === 'state' && isTerminal(e.state)) return bus.tasks.get(task.tenant, task.id);
    }
    return bus.tasks.get(task.tenant, task.id);
  } catch (err) {
    if (stop.signal.aborted) return undefined;
    throw err;
  } finally {
    clearTimeout(timer);
    signal.removeEventListener('abort', onAbort);
  }
}
