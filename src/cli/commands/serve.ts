// `swiftlet serve` runs the HTTP gateway until SIGTERM/SIGINT, then drains: new turns are refused, running ones get
// server.drainTimeoutMs to finish, the rest are interrupted (and recorded so), the store is flushed and closed.
import { LOCAL_TENANT, SwiftletError } from '../../core/index.js';
import { startGateway, type ServerOptions } from '../../gateway/index.js';
import { createLogger, logFailures, startObservability } from '../../obs/index.js';
import { createRuntime } from '../../runtime/index.js';
import { EXIT, intOpt, stringOpt, type Command, type CommandContext } from '../command.js';
import { loadCliConfig } from '../runtime-setup.js';

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

const command: Command = {
  name: 'serve',
  summary: 'run the HTTP server and its APIs',
  usage: 'serve [--config swiftlet.yaml] [--host 127.0.0.1] [--port 8080] [--log-level info]',
  options: {
    host: { type: 'string', description: 'address to bind (default server.host, 127.0.0.1)', valueName: 'host' },
    port: {
      type: 'string',
      short: 'p',
      description: 'port to listen on, 0 for any free port (default server.port, 8080)',
      valueName: 'port',
    },
    'log-level': {
      type: 'string',
      description: `${LEVELS.join(', ')} (default logging.level, info)`,
      valueName: 'level',
    },
  },
  details: [
    'Logs are JSON lines on stdout; API keys and Authorization headers are redacted.',
    'SIGTERM or SIGINT: stop accepting turns, let running ones finish for server.drainTimeoutMs, interrupt the rest,',
    'then exit 0. A second signal exits at once with code 130.',
    'A non-loopback --host needs API keys (server.apiKeys or SWIFTLET_API_KEYS).',
  ].join('\n'),
  async run(ctx) {
    if (ctx.positionals.length > 0) {
      throw new SwiftletError('SWIFTLET_ERR_INVALID_INPUT', `unexpected arguments "${ctx.positionals.join(' ')}"`);
    }
    const flags = readFlags(ctx);
    const loaded = await loadCliConfig(ctx);
    const { config } = loaded;
    const options: ServerOptions = {
      ...config.server,
      ...(flags.host === undefined ? {} : { host: flags.host }),
      ...(flags.port === undefined ? {} : { port: flags.port }),
    };
    const log = createLogger({ level: flags.level ?? config.logging.level });
    const runtime = await createRuntime({
      config: loaded,
      onBusError: (err) => log.warn({ err }, 'task bus'),
    });
    const tenants = [LOCAL_TENANT, ...options.apiKeys.map((k) => k.tenant)];
    const obs = options.metrics ? startObservability({ stats: () => runtime.stats, tenants }) : undefined;
    const stopFailureLog = logFailures(log);
    let gateway;
    try {
      gateway = await startGateway(runtime, options, log, obs ? { metrics: () => obs.metrics() } : {});
    } catch (err) {
      stopFailureLog();
      obs?.close();
      await runtime.close();
      throw err;
    }
    // The task broker's gRPC server, only when configured (its libraries load only then).
    let grpc: { port: number; close(): Promise<void> } | undefined;
    const g = config.server.grpc;
    if (g) {
      try {
        const { startGrpcServer } = await import('../../gateway/grpc/index.js');
        grpc = await startGrpcServer({
          bus: runtime.bus,
          host: g.host,
          port: g.port,
          apiKeys: options.apiKeys,
          ...(g.tls ? { tls: g.tls } : {}),
          leaseMs: config.bus.leaseMs,
          onError: (err) => log.error({ err }, 'grpc broker'),
        });
      } catch (err) {
        await gateway.close();
        stopFailureLog();
        obs?.close();
        throw err;
      }
      log.info({ host: g.host, port: grpc.port }, 'grpc listening');
    }
    log.info({ url: gateway.url, agents: Object.keys(config.agents) }, 'listening');
    const grpcAt = g && grpc ? `${g.host}:${grpc.port}` : undefined;
    ctx.stdout.write(
      ctx.json
        ? JSON.stringify({ url: gateway.url, ...(grpcAt ? { grpc: grpcAt } : {}) }) + '\n'
        : `swiftlet listening on ${gateway.url}${grpcAt ? ` (task broker gRPC on ${grpcAt})` : ''}\n`,
    );
    const signal = await untilSignal(() => {
      log.warn('second signal: exiting without draining');
      process.exit(EXIT.interrupted);
    });
    log.info({ signal, drainMs: options.drainTimeoutMs }, 'shutting down');
    // gRPC first: its Subscribe streams hand their tasks back to the bus, which the gateway then closes.
    await grpc?.close();
    await gateway.close();
    stopFailureLog();
    obs?.close();
    log.info('stopped');
    // Anything still holding the event loop open (a stuck socket) must not keep a stopped server alive.
    setTimeout(() => process.exit(EXIT.ok), 2000).unref();
    return EXIT.ok;
  },
};

export default command;

function readFlags(ctx: CommandContext): { host?: string; port?: number; level?: string } {
  const port = intOpt(ctx.values, 'port');
  if (port !== undefined && port > 65535) {
    throw new SwiftletError('SWIFTLET_ERR_INVALID_INPUT', `--port: expected 0 to 65535, got ${port}`, {
      field: 'port',
    });
  }
  const host = stringOpt(ctx.values, 'host');
  if (host === '')
    throw new SwiftletError('SWIFTLET_ERR_INVALID_INPUT', '--host: expected an address', { field: 'host' });
  const level = stringOpt(ctx.values, 'log-level');
  if (level !== undefined && !LEVELS.includes(level)) {
    throw new SwiftletError('SWIFTLET_ERR_INVALID_INPUT', `--log-level: expected one of ${LEVELS.join(', ')}`, {
      field: 'log-level',
    });
  }
  return {
    ...(host === undefined ? {} : { host }),
    ...(port === undefined ? {} : { port }),
    ...(level === undefined ? {} : { level }),
  };
}

/** Resolves with the first SIGTERM/SIGINT; a second one calls `again`. */
function untilSignal(again: () => void): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    let seen = false;
    const on = (signal: NodeJS.Signals): void => {
      if (seen) return again();
      seen = true;
      resolve(signal);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}
