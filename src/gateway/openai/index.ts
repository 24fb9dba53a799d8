// The OpenAI-compatible API: Chat Completions, Responses and Models, each a thin mapping onto runtime turns.
// Errors on these routes take OpenAI's shape, `{error:{message,type,param,code}}`, so OpenAI clients raise their
// usual exceptions.
import type { HttpApp } from '../http.js';
import type { GatewayContext } from '../types.js';
import { chatCompletions } from './chat.js';
import { modelRoutes } from './models.js';
import { createResponse } from './responses.js';

export function registerOpenAi(app: HttpApp, ctx: GatewayContext): void {
  const names = ctx.runtime.agents().map((a) => a.name);
  const agents: ReadonlySet<string> = new Set(names);
  const models = modelRoutes(ctx, names);
  const opts = { errorFormat: 'openai' } as const;
  app.route('POST', '/v1/chat/completions', (rc) => chatCompletions(ctx, rc, agents), opts);
  app.route('POST', '/v1/responses', (rc) => createResponse(ctx, rc, agents), opts);
  app.route('GET', '/v1/models', models.list, opts);
  app.route('GET', '/v1/models/:model', models.retrieve, opts);
}
