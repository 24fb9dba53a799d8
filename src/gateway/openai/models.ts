// GET /v1/models and /v1/models/:model: the agents this caller may use, as OpenAI models.
import { SwiftletError } from '../../core/index.js';
import { sendJson, type RequestCtx } from '../http.js';
import type { GatewayContext } from '../types.js';

interface Model {
  id: string;
  object: 'model';
  created: number;
  owned_by: 'swiftlet';
}

/** Agents are built once at start-up, so they are listed with the time the gateway started. */
export function modelRoutes(gw: GatewayContext, agents: readonly string[]) {
  const created = Math.floor(Date.now() / 1000);
  const models = agents.map((id): Model => ({ id, object: 'model', created, owned_by: 'swiftlet' }));
  return {
    list(ctx: RequestCtx): void {
      const allowed = ctx.caller.key?.agents;
      const data = allowed ? models.filter((m) => allowed.includes(m.id)) : models;
      sendJson(ctx.res, 200, { object: 'list', data });
    },
    retrieve(ctx: RequestCtx): void {
      const id = ctx.params.model ?? '';
      const model = models.find((m) => m.id === id);
      if (!model) {
        throw new SwiftletError(
          'SWIFTLET_ERR_AGENT_NOT_FOUND',
          `The model \`${id}\` does not exist: no agent by that name`,
          {
            field: 'model',
          },
        );
      }
      gw.checkAgent(ctx.caller, id);
      sendJson(ctx.res, 200, model);
    },
  };
}
