import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { SwiftletError } from '../core/index.js';
import type { Runtime } from '../runtime/index.js';
import { createAuthenticate, createAdmission, isLoopback } from './auth.js';
import { ConnectionGuard, checkingIntervalMs, fitMaxConnections, openFileLimit } from './connections.js';
import { createHostCheck } from './hosts.js';
import { HttpApp } from './http.js';
import { registerOps } from './ops.js';
import { registerNative } from './native/index.js';
import { registerOpenAi } from './openai/index.js';
import { registerWebSocket } from './ws.js';
import { registerWebPage } from './web/index.js';
import type { GatewayContext, ServerOptions } from './types.js';

export interface Gateway {
  readonly url: string;
  readonly app: HttpApp;
  readonly server: Server;
  readonly context: GatewayContext;
  /**
   * Graceful stop: refuse new turns, let running ones finish for up to `drainMs` (default the configured drain
   * timeout), then interrupt the rest (recorded as interrupted), flush, close the runtime and the listener.
   */
  close(opts?: { drainMs?: number }): Promise<void>;
}

/**
 * Builds the HTTP gateway over a runtime and starts listening. Refuses a non-loopback bind without API keys.
 * Ready when this resolves: listening, store open, migrations applied (the runtime did those).
 */
export interface GatewayExtras {
  /** Prometheus exposition for `/metrics` (the exporter lives in src/obs and is wired by the caller). */
  metrics?: () => Promise<{ contentType: string; body: string }>;
}

export async function startGateway(
  runtime: Runtime,
  options: ServerOptions,
  log: Logger,
  extras: GatewayExtras = {},
): Promise<Gateway> {
  if (!isLoopback(options.host) && options.apiKeys.length === 0) {
    throw new SwiftletError(
      'SWIFTLET_ERR_CONFIG_INVALID',
      `refusing to listen on ${options.host} without API keys: anyone who can reach it could use your agents. ` +
        'Configure server.apiKeys (or SWIFTLET_API_KEYS), or bind to 127.0.0.1.',
      { field: 'server.host' },
    );
  }
  let draining = false;
  const admission = createAdmission(options);
  const authenticate = createAuthenticate(options);
  const context: GatewayContext = {
    runtime,
    options,
    log,
    draining: () => draining,
    admitTurn: (caller, agent) => {
      if (draining)
        throw new SwiftletError('SWIFTLET_ERR_SHUTTING_DOWN', 'the server is shutting down', { retryAfterMs: 1000 });
      return admission.admit(caller, agent);
    },
    checkAgent: (caller, agent) => admission.checkAgent(caller, agent),
    chargeRequest: (caller) => authenticate.charge(caller),
  };
  const app = new HttpApp(log, options.bodyLimitBytes);
  app.setAuthenticate(authenticate);
  app.setHostCheck(createHostCheck(options));
  registerOps(app, context, options.metrics ? extras.metrics : undefined);
  registerNative(app, context);
  registerOpenAi(app, context);
  const ws = registerWebSocket(app, context);
  if (options.webPage) registerWebPage(app, context);

  const maxConnections = fitMaxConnections(options.maxConnections, openFileLimit(), log);
  const guard = new ConnectionGuard(log, options);
  // The request timeouts bound receiving a request; node:http stops checking a connection once its request has
  // arrived, so an SSE answer or an upgraded WebSocket lasts as long as it needs.
  const server = createServer(
    {
      keepAliveTimeout: options.idleTimeoutMs,
      headersTimeout: options.headersTimeoutMs,
      requestTimeout: options.requestTimeoutMs,
      connectionsCheckingInterval: checkingIntervalMs(options),
    },
    guard.request(app.handle),
  );
  server.maxConnections = maxConnections;
  server.on('upgrade', guard.upgrade(app.handleUpgrade));
  server.on('clientError', guard.clientError);
  await new Promise<void>((resolve, reject) => {
    const fail = (err: NodeJS.ErrnoException): void => reject(listenError(err, options.host, options.port));
    server.once('error', fail);
    server.listen(options.port, options.host, () => {
      server.off('error', fail);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  const url = `http://${host}:${addr.port}`;
  let closing: Promise<void> | undefined;
  return {
    url,
    app,
    server,
    context,
    close(opts = {}) {
      closing ??= (async () => {
        draining = true;
        // Upgraded sockets are not among the connections node:http closes: each closes once its turns have ended.
        ws.close();
        await runtime.close({ drainMs: opts.drainMs ?? options.drainTimeoutMs });
        server.closeIdleConnections();
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        // Streams and sockets still open (idle WebSockets, finished SSE readers) get a moment, then are cut.
        const timer = setTimeout(() => server.closeAllConnections(), 1000);
        await closed;
        clearTimeout(timer);
      })();
      return closing;
    },
  };
}

/** A listen failure as one readable error; a port held by another process gets its own code. */
function listenError(err: NodeJS.ErrnoException, host: string, port: number): Error {
  if (err.code !== 'EADDRINUSE') return err;
  return new SwiftletError('SWIFTLET_ERR_PORT_IN_USE', `cannot listen on ${host}:${port}: the port is in use`, {
    cause: err,
  });
}
