// Tasks over HTTP (docs/tasks.md): publish to an agent, a skill or every agent; read, list, follow (SSE, resumable by
// event seq) and cancel. Tenants as for sessions (scope.ts): a task of another tenant, or one a key limited to some
// agents could not have sent, answers exactly as an unknown id.
import {
  ALL_TENANTS,
  SwiftletError,
  TASK_STATES,
  isTerminal,
  isValidSessionId,
  type TaskRecord,
  type TaskSpec,
  type TaskState,
  type TaskTarget,
  type TenantScope,
} from '../../core/index.js';
import { taskPrompt } from '../../runtime/index.js';
import { sendJson, type HttpApp, type RequestCtx } from '../http.js';
import { SseStream } from '../sse.js';
import type { Caller, GatewayContext } from '../types.js';
import {
  cancelTaskBody,
  createTaskBody,
  intParam,
  parseBody,
  parseDeadline,
  wantsEventStream,
  type CreateTaskBody,
} from './schemas.js';
import { mayUse, sessionTenant, tenantParam } from './scope.js';
import { taskEventView, taskView } from './views.js';

const MAX_PAGE = 1000;
/** Events in one JSON answer of GET /v1/tasks/{id}/events. */
const MAX_EVENTS = 1000;

export function registerTasks(app: HttpApp, ctx: GatewayContext): void {
  const { runtime } = ctx;

  app.route('POST', '/v1/tasks', async (c) => {
    const body = parseBody(createTaskBody, await c.json()) as CreateTaskBody;
    tenantParam(c, 'write');
    const target = checkTarget(ctx, c.caller, body.target);
    const input = {
      ...(body.input.text === undefined ? {} : { text: body.input.text }),
      ...(body.input.data === undefined ? {} : { data: body.input.data }),
    };
    const limit = runtime.config.limits.maxInputBytes;
    if (Buffer.byteLength(taskPrompt({ input })) > limit) {
      const field = input.data === undefined ? 'input.text' : 'input';
      throw new SwiftletError(
        'SWIFTLET_ERR_INVALID_INPUT',
        `${field}: the task's prompt (its text, then its data as JSON) is over limits.maxInputBytes (${limit} bytes)`,
        { field },
      );
    }
    const deadline = body.deadline === undefined ? undefined : parseDeadline(body.deadline);
    const tenant = c.caller.tenant;
    if (body.parentId !== undefined && !(await runtime.bus.tasks.get(tenant, body.parentId))) {
      throw new SwiftletError('SWIFTLET_ERR_TASK_NOT_FOUND', `parentId: no task ${body.parentId}`, {
        field: 'parentId',
      });
    }
    if (ctx.draining()) {
      throw new SwiftletError('SWIFTLET_ERR_SHUTTING_DOWN', 'the server is shutting down', { retryAfterMs: 1000 });
    }
    const spec: TaskSpec = {
      tenant,
      target,
      input,
      requester: { kind: 'key', id: c.caller.key?.name ?? 'anonymous' },
      ...(body.priority === undefined ? {} : { priority: body.priority }),
      ...(deadline === undefined ? {} : { deadline }),
      ...(body.idempotencyKey === undefined ? {} : { idempotencyKey: body.idempotencyKey }),
      ...(body.parentId === undefined ? {} : { parentId: body.parentId }),
    };
    const task = await runtime.bus.publish(spec);
    // A used idempotency key is answered with the task that has it: 200, not 201.
    sendJson(c.res, task.created ? 201 : 200, taskView(task), { location: `/v1/tasks/${task.id}` });
  });

  app.route('GET', '/v1/tasks', async (c) => {
    const limit = intParam(c.query, 'limit', 1, MAX_PAGE) ?? 50;
    const state = stateParam(c.query);
    const agent = c.query.get('agent') ?? undefined;
    const parentId = c.query.get('parent') ?? undefined;
    const cursor = c.query.get('cursor') ?? undefined;
    if (agent !== undefined) ctx.checkAgent(c.caller, agent);
    // An admin key lists every tenant unless it names one; any other key lists its own.
    const scope: TenantScope = tenantParam(c, 'read') ?? (c.caller.admin ? ALL_TENANTS : c.caller.tenant);
    const filter = {
      ...(state === undefined ? {} : { state }),
      ...(agent === undefined ? {} : { agent }),
      ...(parentId === undefined ? {} : { parentId }),
    };
    const tasks: TaskRecord[] = [];
    let next = cursor;
    // A key limited to some agents sees only the tasks it could have sent: pages are read and filtered here, so a
    // page may come back shorter than `limit` (at most 8 store pages per request) while `nextCursor` goes on.
    for (let round = 0; round < 8 && tasks.length < limit; round++) {
      const page = await runtime.bus.tasks.list(scope, {
        ...filter,
        limit: limit - tasks.length,
        ...(next === undefined ? {} : { cursor: next }),
      });
      tasks.push(...page.tasks.filter((t) => visible(ctx, c.caller, t)));
      next = page.nextCursor;
      if (next === undefined || !c.caller.key?.agents) break;
    }
    sendJson(c.res, 200, { tasks: tasks.map(taskView), ...(next === undefined ? {} : { nextCursor: next }) });
  });

  app.route('GET', '/v1/tasks/:id', async (c) => {
    sendJson(c.res, 200, taskView(await requireTask(ctx, c)));
  });

  app.route('POST', '/v1/tasks/:id/cancel', async (c) => {
    const body = hasBody(c) ? parseBody(cancelTaskBody, await c.json()) : {};
    const task = await requireTask(ctx, c);
    // A task already ended is answered as it is: cancel changes nothing then. Otherwise the answer is the record as
    // stored after the cancel, as the next GET shows it.
    if (isTerminal(task.state)) return sendJson(c.res, 200, taskView(task));
    const canceled = await runtime.bus.cancel(task.tenant, task.id, body.reason);
    const stored = canceled && (await runtime.bus.tasks.get(task.tenant, task.id));
    if (!stored) throw noTask(task.id);
    sendJson(c.res, 200, taskView(stored));
  });

  app.route('GET', '/v1/tasks/:id/events', async (c) => {
    const task = await requireTask(ctx, c);
    const after = afterParam(c);
    if (after.seq > task.lastSeq) {
      throw new SwiftletError(
        'SWIFTLET_ERR_INVALID_INPUT',
        `${after.field}: task ${task.id} has ${task.lastSeq} events so far`,
        { field: after.field },
      );
    }
    if (!wantsEventStream(c.req.headers.accept)) {
      const events = await runtime.bus.tasks.events(task.tenant, task.id, after.seq, MAX_EVENTS);
      const last = events.at(-1);
      const done = last ? last.type === 'state' && isTerminal(last.state) : isTerminal(task.state);
      sendJson(c.res, 200, { events: events.map(taskEventView), done });
      return;
    }
    // An ended task with nothing after Last-Event-ID: 204 tells an EventSource to stop reconnecting.
    if (isTerminal(task.state) && after.seq >= task.lastSeq) {
      c.res.writeHead(204).end();
      return;
    }
    const sse = new SseStream(c.res, { heartbeatMs: ctx.options.sseHeartbeatMs, headers: { 'x-task-id': task.id } });
    try {
      for await (const e of runtime.bus.watch(task.tenant, task.id, { afterSeq: after.seq, signal: c.signal })) {
        const wait = sse.send(e.type, taskEventView(e), String(e.seq));
        if (wait) await wait;
        if (sse.closed) return;
      }
    } catch (err) {
      // The client left (the watch ends with the request's signal): nothing to answer.
      if (c.signal.aborted) return;
      throw err;
    }
    sse.end();
  });
}

/** The answer for a task the caller cannot see, whether it exists in another tenant or not. */
export function noTask(id: string): SwiftletError {
  return new SwiftletError('SWIFTLET_ERR_TASK_NOT_FOUND', `no task ${id}`, { field: 'id' });
}

/** The task named in the path, in the tenant the request reaches (an admin key: `?tenant=`), if visible; else 404. */
async function requireTask(ctx: GatewayContext, c: RequestCtx): Promise<TaskRecord> {
  const id = c.params.id ?? '';
  const tenant = sessionTenant(c, 'read');
  const task = isValidSessionId(id) ? await ctx.runtime.bus.tasks.get(tenant, id) : undefined;
  if (!task || !visible(ctx, c.caller, task)) throw noTask(id);
  return task;
}

/** The configured agents that could receive a task sent to `target`. */
function receivers(ctx: GatewayContext, target: TaskTarget): string[] {
  const agents = Object.values(ctx.runtime.config.agents);
  if ('agent' in target) return [target.agent];
  if ('skill' in target) return agents.filter((a) => a.skills.some((s) => s.name === target.skill)).map((a) => a.name);
  const { skill, agents: names } = target.filter ?? {};
  return agents
    .filter((a) => skill === undefined || a.skills.some((s) => s.name === skill))
    .filter((a) => names === undefined || names.includes(a.name))
    .map((a) => a.name);
}

/** True when the caller could have sent this task: no agent list, or every agent that could receive it allowed. */
function visible(ctx: GatewayContext, caller: Caller, task: TaskRecord): boolean {
  if (!caller.key?.agents) return true;
  const names = receivers(ctx, task.target);
  if (task.assignee !== undefined) names.push(task.assignee);
  return names.length > 0 && names.every((a) => mayUse(caller, a));
}

/**
 * A target as the bus takes it, checked against the configured agents and the key's agent list. Only configured
 * agents consume tasks for now, so a target none of them would receive is refused here rather than left waiting.
 */
function checkTarget(ctx: GatewayContext, caller: Caller, t: CreateTaskBody['target']): TaskTarget {
  const configured = ctx.runtime.config.agents;
  const offered = (skill: string): boolean =>
    Object.values(configured).some((a) => a.skills.some((s) => s.name === skill));
  let target: TaskTarget;
  let field: string;
  if (t.agent !== undefined) {
    if (!Object.hasOwn(configured, t.agent)) {
      throw new SwiftletError('SWIFTLET_ERR_AGENT_NOT_FOUND', `target.agent: no agent named "${t.agent}"`, {
        field: 'target.agent',
      });
    }
    target = { agent: t.agent };
    field = 'target.agent';
  } else if (t.skill !== undefined) {
    if (!offered(t.skill)) throw noSkill('target.skill', t.skill);
    target = { skill: t.skill };
    field = 'target.skill';
  } else {
    const filter = t.filter ?? {};
    for (const name of filter.agents ?? []) {
      if (!Object.hasOwn(configured, name)) {
        throw new SwiftletError('SWIFTLET_ERR_AGENT_NOT_FOUND', `target.filter.agents: no agent named "${name}"`, {
          field: 'target.filter.agents',
        });
      }
    }
    if (filter.skill !== undefined && !offered(filter.skill)) throw noSkill('target.filter.skill', filter.skill);
    target = {
      broadcast: true,
      ...(t.filter === undefined
        ? {}
        : {
            filter: {
              ...(filter.skill === undefined ? {} : { skill: filter.skill }),
              ...(filter.agents === undefined ? {} : { agents: [...new Set(filter.agents)] }),
            },
          }),
    };
    field = 'target';
  }
  const denied = receivers(ctx, target).filter((a) => !mayUse(caller, a));
  if (denied.length > 0) {
    const names = denied.map((a) => `"${a}"`).join(', ');
    throw new SwiftletError(
      'SWIFTLET_ERR_FORBIDDEN',
      `${field}: this API key may not use agent${denied.length > 1 ? 's' : ''} ${names}`,
      { field },
    );
  }
  return target;
}

function noSkill(field: string, skill: string): SwiftletError {
  return new SwiftletError('SWIFTLET_ERR_INVALID_INPUT', `${field}: no configured agent offers skill "${skill}"`, {
    field,
  });
}

function stateParam(q: URLSearchParams): TaskState | undefined {
  const state = q.get('state');
  if (state === null) return undefined;
  if (!(TASK_STATES as readonly string[]).includes(state)) {
    throw new SwiftletError('SWIFTLET_ERR_INVALID_INPUT', `state: expected one of ${TASK_STATES.join(', ')}`, {
      field: 'state',
    });
  }
  return state as TaskState;
}

/** The seq to send events after: the Last-Event-ID header (an EventSource reconnecting), else `?after=`, else 0. */
function afterParam(c: RequestCtx): { seq: number; field: string } {
  const header = c.req.headers['last-event-id'];
  const [text, field] = typeof header === 'string' ? [header.trim(), 'Last-Event-ID'] : [c.query.get('after'), 'after'];
  if (text === null || text === '') return { seq: 0, field };
  const n = Number(text);
  if (!/^\d{1,15}$/.test(text) || !Number.isSafeInteger(n)) {
    throw new SwiftletError('SWIFTLET_ERR_INVALID_INPUT', `${field}: expected an event seq (an integer from 0)`, {
      field,
    });
  }
  return { seq: n, field };
}

/** A POST whose body may be left out: read it only when one was sent. */
function hasBody(c: RequestCtx): boolean {
  const length = c.req.headers['content-length'];
  return (length !== undefined && length !== '0') || c.req.headers['transfer-encoding'] !== undefined;
}
