// The broker's gRPC server, for agents and publishers written in other languages (docs/grpc.md). @grpc/grpc-js and
// @grpc/proto-loader are loaded here, when the server starts, and nowhere else: a Swiftlet without `server.grpc`
// never loads them.
import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';
import type { ServerCredentials, ServiceDefinition } from '@grpc/grpc-js';
import { BUS_DEFAULTS, type TaskBus } from '../../bus/index.js';
import { SwiftletError, importOptional } from '../../core/index.js';
import { createAuthenticate, isLoopback, type KeyAuthenticate } from '../auth.js';
import type { ApiKeyOptions } from '../types.js';
import { brokerService } from './calls.js';
import { Holdings, type BrokerContext } from './context.js';
import { LOADER_OPTIONS } from './messages.js';
import { BROKER_PROTO, BROKER_SERVICE, protoRoot } from './proto.js';
import type { Grpc } from './status.js';

export interface GrpcTlsOptions {
  /** PEM files, read when the server starts. */
  certFile: string;
  keyFile: string;
  /** CA of the client certificates to require; absent: clients need no certificate. */
  caFile?: string;
}

export interface GrpcServerOptions {
  bus: TaskBus;
  /** Default 127.0.0.1. Without API keys only a loopback address is allowed. */
  host?: string;
  /** Default 50051; 0: any free port (see the returned `port`). */
  port?: number;
  /** The server's API keys (server.apiKeys); none: no authentication, every caller is tenant `local`. */
  apiKeys: readonly ApiKeyOptions[];
  /** The HTTP gateway's check of those keys, so both share each key's rate limit; made from `apiKeys` if absent. */
  authenticate?: KeyAuthenticate;
  tls?: GrpcTlsOptions;
  /** The bus's lease (bus.leaseMs), told to subscribers: the longest a held task may go without Progress. */
  leaseMs?: number;
  /** How long an assignment may wait for its ack (default: 10 s, or half the lease if that is shorter). */
  ackTimeoutMs?: number;
  /** The most tasks one Subscribe stream may hold at once (default 256). */
  maxInFlight?: number;
  /** How long `close` waits for calls still open (Watch streams) before it cuts them (default 1 s). */
  closeGraceMs?: number;
  /** Failures no caller is told about; default: none reported. */
  onError?: (err: unknown) => void;
}

export interface GrpcServer {
  /** The port listened on (the one chosen when `port` was 0). */
  readonly port: number;
  /** Ends Subscribe streams (their tasks go back to the bus), then the other calls, then the listener. */
  close(): Promise<void>;
}

export const GRPC_DEFAULT_PORT = 50051;

/** Starts the broker's gRPC server; resolves once it listens. */
export async function startGrpcServer(options: GrpcServerOptions): Promise<GrpcServer> {
  const host = options.host ?? '127.0.0.1';
  if (!isLoopback(host) && options.apiKeys.length === 0) {
    throw new SwiftletError(
      'SWIFTLET_ERR_CONFIG_INVALID',
      `refusing to serve gRPC on ${host} without API keys: anyone who can reach it could take and publish tasks. ` +
        'Configure server.apiKeys (or SWIFTLET_API_KEYS), or bind server.grpc.host to 127.0.0.1.',
      { field: 'server.grpc.host' },
    );
  }
  const [grpc, loader] = await importOptional(
    () => Promise.all([import('@grpc/grpc-js'), import('@grpc/proto-loader')]),
    ['@grpc/grpc-js', '@grpc/proto-loader'],
    { what: 'the task broker over gRPC (server.grpc)', field: 'server.grpc' },
  );
  const root = protoRoot();
  const definition = await loader.load(join(root, BROKER_PROTO), { ...LOADER_OPTIONS, includeDirs: [root] });
  const credentials = await serverCredentials(grpc, options.tls);
  const leaseMs = options.leaseMs ?? BUS_DEFAULTS.leaseMs;
  const ctx: BrokerContext = {
    grpc,
    bus: options.bus,
    authenticate: options.authenticate ?? createAuthenticate({ apiKeys: options.apiKeys }),
    leaseMs,
    ackTimeoutMs: options.ackTimeoutMs ?? Math.min(10_000, Math.max(1, Math.floor(leaseMs / 2))),
    maxInFlight: options.maxInFlight ?? 256,
    onError: options.onError ?? (() => undefined),
    holdings: new Holdings(),
    streams: new Set(),
  };
  const server = new grpc.Server({
    // A subscriber whose connection died without a FIN is noticed within ~40 s, and its tasks redelivered.
    'grpc.keepalive_time_ms': 30_000,
    'grpc.keepalive_timeout_ms': 10_000,
  });
  server.addService(definition[BROKER_SERVICE] as ServiceDefinition, brokerService(ctx));
  const address = `${isIP(host) === 6 ? `[${host}]` : host}:${options.port ?? GRPC_DEFAULT_PORT}`;
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(address, credentials, (err, bound) => (err ? reject(bindError(address, err)) : resolve(bound)));
  });
  let closing: Promise<void> | undefined;
  return {
    port,
    close: () => (closing ??= shutdown(server, ctx, options.closeGraceMs ?? 1000)),
  };
}

async function shutdown(server: InstanceType<Grpc['Server']>, ctx: BrokerContext, graceMs: number): Promise<void> {
  await Promise.all([...ctx.streams].map((s) => s.shutdown()));
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    new Promise<void>((resolve) => server.tryShutdown(() => resolve())),
    new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs))),
  ]);
  clearTimeout(timer);
  server.forceShutdown();
}

async function serverCredentials(grpc: Grpc, tls: GrpcTlsOptions | undefined): Promise<ServerCredentials> {
  if (!tls) return grpc.ServerCredentials.createInsecure();
  const read = async (path: string, field: string): Promise<Buffer> => {
    try {
      return await readFile(path);
    } catch (err) {
      throw new SwiftletError(
        'SWIFTLET_ERR_CONFIG_INVALID',
        `${field}: cannot read ${path} (${err instanceof Error ? err.message : String(err)})`,
        { field, cause: err },
      );
    }
  };
  const [cert, key, ca] = await Promise.all([
    read(tls.certFile, 'server.grpc.tls.certFile'),
    read(tls.keyFile, 'server.grpc.tls.keyFile'),
    tls.caFile === undefined ? undefined : read(tls.caFile, 'server.grpc.tls.caFile'),
  ]);
  return grpc.ServerCredentials.createSsl(ca ?? null, [{ private_key: key, cert_chain: cert }], ca !== undefined);
}

function bindError(address: string, err: Error): SwiftletError {
  if (/EADDRINUSE|address already in use/i.test(err.message)) {
    return new SwiftletError('SWIFTLET_ERR_PORT_IN_USE', `gRPC: ${address} is already in use`, { cause: err });
  }
  return new SwiftletError('SWIFTLET_ERR_CONFIG_INVALID', `gRPC: cannot listen on ${address}: ${err.message}`, {
    field: 'server.grpc',
    cause: err,
  });
}
