import { sendJson, type HttpApp } from '../http.js';
import { openApiDocument } from '../openapi.js';
import type { GatewayContext } from '../types.js';
import { registerAgents } from './agents.js';
import { TurnRegistry } from './registry.js';
import { registerSessions } from './sessions.js';
import { registerTasks } from './tasks.js';
import { registerTurns } from './turns.js';

/** The native REST + SSE API under /v1 (docs/api.md, docs/tasks.md), and its OpenAPI description at /openapi.json. */
export function registerNative(app: HttpApp, ctx: GatewayContext): void {
  registerSessions(app, ctx);
  registerTurns(app, ctx, new TurnRegistry(ctx.log));
  registerAgents(app, ctx);
  registerTasks(app, ctx);
  app.route('GET', '/openapi.json', (c) => sendJson(c.res, 200, openApiDocument()), { auth: false });
}
