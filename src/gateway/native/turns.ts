import { SwiftletError, type Entry, type SessionKey } from '../../core/index.js';
import type { Runtime, TurnRun } from '../../runtime/index.js';
import { sendJson, type HttpApp, type RequestCtx } from '../http.js';
import { SseStream } from '../sse.js';
import type { GatewayContext } from '../types.js';
import { eventsAfter, formatId, rebuildTurn, type EventId, type SeqEvent } from './event-ids.js';
import type { LiveTurn } from './live-turn.js';
import type { TurnRegistry } from './registry.js';
import { requireSession } from './scope.js';
import { boolParam, lastEventId, parseBody, turnBody, wantsEventStream } from './schemas.js';
import { turnResultView } from './views.js';

export function registerTurns(app: HttpApp, ctx: GatewayContext, registry: TurnRegistry): void {
  app.route('POST', '/v1/sessions/:id/turns', async (c) => {
    if (c.req.headers['last-event-id'] !== undefined || c.query.has('lastEventId')) {
      throw new SwiftletError(
        'SWIFTLET_ERR_INVALID_INPUT',
        'Last-Event-ID: this would start a new turn; resume a turn with GET /v1/sessions/{id}/turns/{turnId}/events',
        { field: 'Last-Event-ID' },
      );
    }
    const interruptOnDisconnect = boolParam(c.query, 'interruptOnDisconnect');
    const body = parseBody(turnBody, await c.json());
    const info = await requireSession(ctx, c, 'write');
    if (body.agent !== undefined && body.agent !== info.agent) {
      throw new SwiftletError(
        'SWIFTLET_ERR_SESSION_AGENT_MISMATCH',
        `session ${info.id} belongs to agent "${info.agent}", not "${body.agent}"`,
        { field: 'agent' },
      );
    }
    const release = ctx.admitTurn(c.caller, info.agent);
    let run: TurnRun;
    try {
      run = ctx.runtime.run({
        tenant: info.tenant,
        sessionId: info.id,
        agent: info.agent,
        input: body.input,
        // A JSON answer comes at the end (committed by then); a stream's head is an acknowledgement.
        acknowledgeStart: wantsEventStream(c.req.headers.accept),
        ...(interruptOnDisconnect ? { signal: c.signal } : {}),
      });
    } catch (err) {
      release();
      throw err;
    }
    const live = registry.start(run, release);
    if (wantsEventStream(c.req.headers.accept)) return streamLive(ctx, c, live, undefined);
    const end = await live.done;
    if (live.failure && !live.started) throw live.failure;
    sendJson(c.res, 200, turnResultView(end), { 'x-turn-id': run.turnId });
  });

  app.route('GET', '/v1/sessions/:id/turns/:turnId/events', async (c) => {
    const info = await requireSession(ctx, c, 'read');
    const after = lastEventId(c.req.headers, c.query);
    const turnId = c.params.turnId ?? '';
    const sse = wantsEventStream(c.req.headers.accept);
    const live = registry.get(turnId);
    if (live && live.sessionId === info.id && live.tenant === info.tenant) {
      if (sse && !live.ended) return streamLive(ctx, c, live, after);
      const events = await live.after(after, readLog(ctx.runtime, info, turnId));
      return sendEvents(ctx, c, events, live.ended);
    }
    const entries = await readLog(ctx.runtime, info, turnId)();
    if (entries.length === 0) {
      throw new SwiftletError('SWIFTLET_ERR_NOT_FOUND', `no turn ${turnId} in session ${info.id}`, { field: 'turnId' });
    }
    // Not running here: a finished turn (or one another instance runs, whose events so far are in the log).
    const events = eventsAfter(rebuildTurn(entries, info.id), after);
    await sendEvents(ctx, c, events, entries.at(-1)?.type === 'turn_end');
  });
}

/** Streams a turn this gateway runs, from after `after` to its end; leaving early never stops the turn. */
async function streamLive(
  ctx: GatewayContext,
  c: RequestCtx,
  live: LiveTurn,
  after: EventId | undefined,
): Promise<void> {
  // The head goes out with the first event: for a new turn that is turn-start, sent once the turn's start and input
  // are stored (durable mode), so a 200 with X-Turn-Id is never the answer to a turn a crash could lose.
  let sse: SseStream | undefined;
  const open = (): SseStream =>
    (sse ??= new SseStream(c.res, {
      heartbeatMs: ctx.options.sseHeartbeatMs,
      headers: { 'x-session-id': live.sessionId, 'x-turn-id': live.turnId },
    }));
  const log = readLog(ctx.runtime, { tenant: live.tenant, id: live.sessionId }, live.turnId);
  for await (const item of live.follow(after, c.signal, log)) {
    // Refused before it started (as the JSON answer is): an HTTP error, not a stream.
    if (!sse && item.event.type === 'turn-end' && live.failure && !live.started) throw live.failure;
    const stream = open();
    const wait = stream.send(item.event.type, item.event, formatId(item.id));
    if (wait) await wait;
    if (stream.closed) break;
  }
  if (!c.signal.aborted) open().end();
}

/**
 * Events already known, as SSE (then the stream ends; 204 when there is nothing after Last-Event-ID in a finished
 * turn, which tells an EventSource to stop reconnecting) or as JSON.
 */
async function sendEvents(ctx: GatewayContext, c: RequestCtx, events: SeqEvent[], done: boolean): Promise<void> {
  if (!wantsEventStream(c.req.headers.accept)) {
    sendJson(c.res, 200, { events: events.map((e) => ({ id: formatId(e.id), event: e.event })), done });
    return;
  }
  if (events.length === 0 && done) {
    c.res.writeHead(204).end();
    return;
  }
  const sse = new SseStream(c.res, { heartbeatMs: ctx.options.sseHeartbeatMs });
  for (const e of events) {
    const wait = sse.send(e.event.type, e.event, formatId(e.id));
    if (wait) await wait;
    if (sse.closed) return;
  }
  sse.end();
}

/**
 * Reads one turn's entries: the log's tail first (a resumed turn is nearly always recent), widening until the turn's
 * start is in view or the whole log was read.
 */
function readLog(runtime: Runtime, session: SessionKey, turnId: string): () => Promise<Entry[]> {
  return async () => {
    for (let limit = 256; ; limit *= 8) {
      const tail = await runtime.entries(session.id, { tenant: session.tenant, tail: true, limit });
      const start = tail.findIndex((e) => e.turnId === turnId && e.type === 'turn_start');
      if (start >= 0 || tail.length < limit) return tail.slice(Math.max(0, start)).filter((e) => e.turnId === turnId);
    }
  };
}
