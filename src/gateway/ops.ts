import { SwiftletError } from '../core/index.js';
import { sendJson, type HttpApp } from './http.js';
import type { GatewayContext } from './types.js';

/** Liveness and readiness: never authenticated (load balancers and orchestrators call them). */
export function registerOps(
  app: HttpApp,
  ctx: GatewayContext,
  metrics: (() => Promise<{ contentType: string; body: string }>) | undefined,
): void {
  app.route('GET', '/healthz', ({ res }) => sendJson(res, 200, { status: 'ok' }), { auth: false });
  app.route(
    'GET',
    '/readyz',
    async ({ res }) => {
      if (ctx.draining()) return sendJson(res, 503, { status: 'draining' });
      const ready = await ctx.runtime.ready();
      sendJson(res, ready ? 200 : 503, { status: ready ? 'ready' : 'store unavailable' });
    },
    { auth: false },
  );
  if (metrics) {
    app.route('GET', '/metrics', async ({ res, caller }) => {
      // The figures cover every tenant (with their names as labels): with keys configured, only an operator's.
      if (caller.key !== null && !caller.admin) {
        throw new SwiftletError('SWIFTLET_ERR_FORBIDDEN', "/metrics shows every tenant's figures: use an admin key");
      }
      const { contentType, body } = await metrics();
      res.writeHead(200, { 'content-type': contentType, 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
  }
}
