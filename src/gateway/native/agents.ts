import { SwiftletError } from '../../core/index.js';
import { sendJson, type HttpApp } from '../http.js';
import type { GatewayContext } from '../types.js';

export function registerAgents(app: HttpApp, ctx: GatewayContext): void {
  app.route('GET', '/v1/agents', (c) => {
    const allowed = c.caller.key?.agents;
    const agents = ctx.runtime.agents().filter((a) => !allowed || allowed.includes(a.name));
    sendJson(c.res, 200, { agents });
  });

  app.route('GET', '/v1/agents/:name', (c) => {
    const name = c.params.name ?? '';
    const agent = ctx.runtime.agents().find((a) => a.name === name);
    if (!agent) throw new SwiftletError('SWIFTLET_ERR_AGENT_NOT_FOUND', `no agent named "${name}"`, { field: 'name' });
    ctx.checkAgent(c.caller, name);
    sendJson(c.res, 200, agent);
  });
}
