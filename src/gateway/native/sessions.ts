import { ALL_TENANTS, SwiftletError, type SessionInfo, type TenantScope } from '../../core/index.js';
import type { Runtime } from '../../runtime/index.js';
import { sendJson, type HttpApp } from '../http.js';
import type { Caller, GatewayContext } from '../types.js';
import { createSessionBody, intParam, parseBody, type CreateSessionBody } from './schemas.js';
import { noSession, requireSession, tenantParam } from './scope.js';
import { messageView, sessionView, todoView, type MessageView } from './views.js';

const MAX_PAGE = 1000;

type SessionPage = Awaited<ReturnType<Runtime['listSessions']>>;

export function registerSessions(app: HttpApp, ctx: GatewayContext): void {
  const { runtime } = ctx;

  app.route('POST', '/v1/sessions', async (c) => {
    const body = parseBody(createSessionBody, await c.json()) as CreateSessionBody;
    const agent = body.agent ?? defaultAgent(ctx, c.caller);
    if (!runtime.agents().some((a) => a.name === agent)) {
      throw new SwiftletError('SWIFTLET_ERR_AGENT_NOT_FOUND', `no agent named "${agent}"`, { field: 'agent' });
    }
    ctx.checkAgent(c.caller, agent);
    if (ctx.draining()) {
      throw new SwiftletError('SWIFTLET_ERR_SHUTTING_DOWN', 'the server is shutting down', { retryAfterMs: 1000 });
    }
    tenantParam(c, 'write');
    const info = await runtime.createSession({ tenant: c.caller.tenant, agent, metadata: body.metadata ?? {} });
    sendJson(c.res, 201, sessionView(info), { location: `/v1/sessions/${info.id}` });
  });

  app.route('GET', '/v1/sessions', async (c) => {
    const limit = intParam(c.query, 'limit', 1, MAX_PAGE) ?? 50;
    const agent = c.query.get('agent') ?? undefined;
    const cursor = c.query.get('cursor') ?? undefined;
    const allowed = c.caller.key?.agents;
    if (agent !== undefined) ctx.checkAgent(c.caller, agent);
    // An admin key lists every tenant unless it names one; any other key lists its own.
    const tenant: TenantScope = tenantParam(c, 'read') ?? (c.caller.admin ? ALL_TENANTS : c.caller.tenant);
    const only = agent ?? (allowed?.length === 1 ? allowed[0] : undefined);
    let page: SessionPage;
    if (only !== undefined || !allowed) {
      page = await runtime.listSessions({
        tenant,
        limit,
        ...(only === undefined ? {} : { agent: only }),
        ...cursorOpt(cursor),
      });
    } else {
      page = await listAllowed(ctx, tenant, allowed, limit, cursor);
    }
    sendJson(c.res, 200, {
      sessions: page.sessions.map(sessionView),
      ...(page.nextCursor === undefined ? {} : { nextCursor: page.nextCursor }),
    });
  });

  app.route('GET', '/v1/sessions/:id', async (c) => {
    const info = await requireSession(ctx, c, 'read');
    const state = await runtime.sessionState(info.id, info);
    sendJson(c.res, 200, { ...sessionView(info), todo: todoView(state.get('todo')) });
  });

  app.route('GET', '/v1/sessions/:id/messages', async (c) => {
    const info = await requireSession(ctx, c, 'read');
    const limit = intParam(c.query, 'limit', 1, MAX_PAGE) ?? 100;
    const cursor = intParam(c.query, 'cursor', 0, Number.MAX_SAFE_INTEGER) ?? 0;
    const page = await readMessages(ctx, info, cursor, limit);
    sendJson(c.res, 200, { sessionId: info.id, ...page });
  });

  app.route('DELETE', '/v1/sessions/:id', async (c) => {
    const info = await requireSession(ctx, c, 'read');
    if (!(await runtime.deleteSession(info.id, info))) throw noSession(info.id);
    c.res.writeHead(204).end();
  });

  app.route('POST', '/v1/sessions/:id/interrupt', async (c) => {
    const info = await requireSession(ctx, c, 'read');
    const interrupted = runtime.interrupt(info.id, { tenant: info.tenant, reason: 'interrupted by the client' });
    sendJson(c.res, 200, { interrupted });
  });
}

/** `assistant` if configured, else the first agent; for a key limited to some agents, the first of those. */
function defaultAgent(ctx: GatewayContext, caller: Caller): string {
  const allowed = caller.key?.agents;
  if (allowed && allowed.length > 0) return allowed[0]!;
  return ctx.runtime.defaultAgent();
}

function cursorOpt(cursor: string | undefined): { cursor?: string } {
  return cursor === undefined ? {} : { cursor };
}

/**
 * A page of sessions of several allowed agents: the store filters by one agent only, so pages are read and filtered
 * here; a page may come back shorter than `limit` (at most 8 store pages are read per request), `nextCursor` goes on.
 */
async function listAllowed(
  ctx: GatewayContext,
  tenant: TenantScope,
  allowed: readonly string[],
  limit: number,
  cursor: string | undefined,
): Promise<SessionPage> {
  const sessions: SessionInfo[] = [];
  let next = cursor;
  for (let round = 0; round < 8 && sessions.length < limit; round++) {
    const page = await ctx.runtime.listSessions({ tenant, limit: limit - sessions.length, ...cursorOpt(next) });
    sessions.push(...page.sessions.filter((s) => allowed.includes(s.agent)));
    next = page.nextCursor;
    if (next === undefined) break;
  }
  return next === undefined ? { sessions } : { sessions, nextCursor: next };
}

/** Messages after seq `cursor`; log entries that are not messages are skipped. `nextCursor` is a seq. */
async function readMessages(
  ctx: GatewayContext,
  session: SessionInfo,
  cursor: number,
  limit: number,
): Promise<{ messages: MessageView[]; nextCursor?: string }> {
  const messages: MessageView[] = [];
  let after = cursor;
  for (;;) {
    const want = Math.min(MAX_PAGE, (limit - messages.length) * 2 + 4);
    const batch = await ctx.runtime.entries(session.id, { tenant: session.tenant, afterSeq: after, limit: want });
    for (const e of batch) {
      after = e.seq;
      const m = messageView(e);
      if (m) messages.push(m);
      if (messages.length === limit) return { messages, nextCursor: String(after) };
    }
    if (batch.length < want) return { messages };
  }
}
