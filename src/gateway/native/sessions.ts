import { SwiftletError, isValidSessionId, type SessionInfo } from '../../core/index.js';
import type { Runtime } from '../../runtime/index.js';
import { sendJson, type HttpApp, type RequestCtx } from '../http.js';
import type { Caller, GatewayContext } from '../types.js';
import { createSessionBody, intParam, parseBody, type CreateSessionBody } from './schemas.js';
import { messageView, sessionView, todoView, type MessageView } from './views.js';

const MAX_PAGE = 1000;

type SessionPage = Awaited<ReturnType<Runtime['listSessions']>>;

/** The session named in the path, if it exists and the caller may use its agent; else 404 / 403. */
export async function requireSession(ctx: GatewayContext, c: RequestCtx): Promise<SessionInfo> {
  const id = c.params.id ?? '';
  const info = isValidSessionId(id) ? await ctx.runtime.getSession(id) : undefined;
  if (!info) throw new SwiftletError('SWIFTLET_ERR_SESSION_NOT_FOUND', `no session ${id}`, { field: 'id' });
  ctx.checkAgent(c.caller, info.agent);
  return info;
}

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
    const info = await runtime.createSession({ agent, metadata: body.metadata ?? {} });
    sendJson(c.res, 201, sessionView(info), { location: `/v1/sessions/${info.id}` });
  });

  app.route('GET', '/v1/sessions', async (c) => {
    const limit = intParam(c.query, 'limit', 1, MAX_PAGE) ?? 50;
    const agent = c.query.get('agent') ?? undefined;
    const cursor = c.query.get('cursor') ?? undefined;
    const allowed = c.caller.key?.agents;
    if (agent !== undefined) ctx.checkAgent(c.caller, agent);
    const only = agent ?? (allowed?.length === 1 ? allowed[0] : undefined);
    let page: SessionPage;
    if (only !== undefined || !allowed) {
      page = await runtime.listSessions({
        limit,
        ...(only === undefined ? {} : { agent: only }),
        ...cursorOpt(cursor),
      });
    } else {
      page = await listAllowed(ctx, allowed, limit, cursor);
    }
    sendJson(c.res, 200, {
      sessions: page.sessions.map(sessionView),
      ...(page.nextCursor === undefined ? {} : { nextCursor: page.nextCursor }),
    });
  });

  app.route('GET', '/v1/sessions/:id', async (c) => {
    const info = await requireSession(ctx, c);
    const state = await runtime.sessionState(info.id);
    sendJson(c.res, 200, { ...sessionView(info), todo: todoView(state.get('todo')) });
  });

  app.route('GET', '/v1/sessions/:id/messages', async (c) => {
    const info = await requireSession(ctx, c);
    const limit = intParam(c.query, 'limit', 1, MAX_PAGE) ?? 100;
    const cursor = intParam(c.query, 'cursor', 0, Number.MAX_SAFE_INTEGER) ?? 0;
    const page = await readMessages(ctx, info.id, cursor, limit);
    sendJson(c.res, 200, { sessionId: info.id, ...page });
  });

  app.route('DELETE', '/v1/sessions/:id', async (c) => {
    const info = await requireSession(ctx, c);
    if (!(await runtime.deleteSession(info.id))) {
      throw new SwiftletError('SWIFTLET_ERR_SESSION_NOT_FOUND', `no session ${info.id}`, { field: 'id' });
    }
    c.res.writeHead(204).end();
  });

  app.route('POST', '/v1/sessions/:id/interrupt', async (c) => {
    const info = await requireSession(ctx, c);
    sendJson(c.res, 200, { interrupted: runtime.interrupt(info.id, 'interrupted by the client') });
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
  allowed: readonly string[],
  limit: number,
  cursor: string | undefined,
): Promise<SessionPage> {
  const sessions: SessionInfo[] = [];
  let next = cursor;
  for (let round = 0; round < 8 && sessions.length < limit; round++) {
    const page = await ctx.runtime.listSessions({ limit: limit - sessions.length, ...cursorOpt(next) });
    sessions.push(...page.sessions.filter((s) => allowed.includes(s.agent)));
    next = page.nextCursor;
    if (next === undefined) break;
  }
  return next === undefined ? { sessions } : { sessions, nextCursor: next };
}

/** Messages after seq `cursor`; log entries that are not messages are skipped. `nextCursor` is a seq. */
async function readMessages(
  ctx: GatewayContext,
  sessionId: string,
  cursor: number,
  limit: number,
): Promise<{ messages: MessageView[]; nextCursor?: string }> {
  const messages: MessageView[] = [];
  let after = cursor;
  for (;;) {
    const want = Math.min(MAX_PAGE, (limit - messages.length) * 2 + 4);
    const batch = await ctx.runtime.entries(sessionId, { afterSeq: after, limit: want });
    for (const e of batch) {
      after = e.seq;
      const m = messageView(e);
      if (m) messages.push(m);
      if (messages.length === limit) return { messages, nextCursor: String(after) };
    }
    if (batch.length < want) return { messages };
  }
}
