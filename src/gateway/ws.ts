// The WebSocket endpoint /v1/ws (protocol in docs/websocket.md). The `ws` package is loaded on the first handshake:
// a server nobody opens a socket to does not pay for it at start-up.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocket, WebSocketServer } from 'ws';
import type { HttpApp } from './http.js';
import type { Caller, GatewayContext } from './types.js';
import { CLOSE_GOING_AWAY, WsConnection } from './ws/connection.js';
import { normalizeOrigins, originAllowed, refuseUpgrade } from './ws/origin.js';

export const WS_PATH = '/v1/ws';

export interface WebSocketOptions {
  /** Interval of protocol pings; a peer that has not answered the previous one is cut off (default 30 s). */
  heartbeatMs?: number;
}

export interface WebSocketEndpoint {
  /** Sockets open now. */
  readonly connections: number;
  /**
   * Closes every socket with 1001 (going away): at once when it has no turn running, else after its last turn ends;
   * a peer that does not finish the closing handshake within `graceMs` is cut off.
   */
  close(graceMs?: number): void;
}

const SHUTDOWN_GRACE_MS = 1000;

export function registerWebSocket(app: HttpApp, ctx: GatewayContext, opts: WebSocketOptions = {}): WebSocketEndpoint {
  const heartbeatMs = opts.heartbeatMs ?? 30_000;
  const log = ctx.log.child({ endpoint: WS_PATH });
  const origins = normalizeOrigins(ctx.options.allowedOrigins);
  const defaultAgent = ctx.runtime.defaultAgent();
  const connections = new Set<WsConnection>();
  let server: Promise<WebSocketServer> | undefined;
  let heartbeat: NodeJS.Timeout | undefined;
  let shuttingDown = false;

  const load = async (): Promise<WebSocketServer> => {
    // A bundled chunk exposes a CommonJS module as `default` only; Node's own loader gives named exports too.
    type Ws = { WebSocketServer: typeof WebSocketServer };
    const m = (await import('ws')) as unknown as Ws & { default?: Ws };
    const Server = m.WebSocketServer ?? m.default!.WebSocketServer;
    return new Server({ noServer: true, maxPayload: ctx.options.bodyLimitBytes, clientTracking: false });
  };

  const beat = (): void => {
    for (const c of connections) {
      if (!c.alive) {
        log.debug('websocket peer did not answer the last ping: terminating');
        c.ws.terminate();
        continue;
      }
      c.alive = false;
      c.ws.ping();
    }
  };

  const shutdown = (graceMs: number): void => {
    shuttingDown = true;
    for (const c of connections) c.closeWhenIdle(CLOSE_GOING_AWAY, 'server shutting down', graceMs);
  };

  const accept = (ws: WebSocket, caller: Caller): void => {
    const conn = new WsConnection(ws, { ctx, caller, log, defaultAgent });
    connections.add(conn);
    ws.on('close', () => {
      connections.delete(conn);
      if (connections.size > 0) return;
      clearInterval(heartbeat);
      heartbeat = undefined;
    });
    heartbeat ??= setInterval(beat, heartbeatMs).unref();
    if (shuttingDown) conn.closeWhenIdle(CLOSE_GOING_AWAY, 'server shutting down', SHUTDOWN_GRACE_MS);
  };

  app.upgrade(WS_PATH, (req: IncomingMessage, socket: Duplex, head: Buffer, caller: Caller) => {
    socket.on('error', () => socket.destroy());
    if (!originAllowed(req, origins)) {
      refuseUpgrade(
        socket,
        403,
        'SWIFTLET_ERR_FORBIDDEN',
        'this Origin may not open a WebSocket (server.allowedOrigins)',
      );
      return;
    }
    if (ctx.draining() || shuttingDown) {
      refuseUpgrade(socket, 503, 'SWIFTLET_ERR_SHUTTING_DOWN', 'the server is shutting down');
      return;
    }
    server ??= load();
    server.then(
      (wss) => wss.handleUpgrade(req, socket, head, (ws) => accept(ws, caller)),
      (err: unknown) => {
        log.error({ err }, 'cannot load the WebSocket server');
        socket.destroy();
      },
    );
  });

  return {
    get connections() {
      return connections.size;
    },
    close: (graceMs = SHUTDOWN_GRACE_MS) => shutdown(graceMs),
  };
}
