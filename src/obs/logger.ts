import { hostname } from 'node:os';
import { pino, type DestinationStream, type Logger } from 'pino';
import { SwiftletError } from '../core/index.js';

/** Paths whose values never reach a log line (fast-redact syntax: `*` is any one key). */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'headers.authorization',
  '*.headers.authorization',
  'apiKey',
  'key',
  '*.apiKey',
  '*.key',
];

export interface LoggerOptions {
  level: string;
  /** Where JSON lines go; stdout when absent. */
  destination?: NodeJS.WritableStream;
}

/**
 * A pino JSON logger: one line per record with `level` as its name, `time` in epoch milliseconds, and the base
 * fields `service`, `pid` and `hostname`. Secrets at the paths above are replaced by "[Redacted]".
 */
export function createLogger(opts: LoggerOptions): Logger {
  const options = {
    level: opts.level,
    base: { service: 'swiftlet', pid: process.pid, hostname: hostname() },
    redact: { paths: REDACTED_PATHS },
    formatters: { level: (label: string) => ({ level: label }) },
  };
  try {
    return opts.destination ? pino(options, opts.destination as DestinationStream) : pino(options);
  } catch (err) {
    throw new SwiftletError('SWIFTLET_ERR_CONFIG_INVALID', `logging.level: ${(err as Error).message}`, {
      field: 'logging.level',
      cause: err,
    });
  }
}

/** Ids a log record can be bound to; absent ones are left out. */
export interface LogIds {
  requestId?: string;
  sessionId?: string;
  turnId?: string;
  agent?: string;
}

/** A child logger whose every record carries the given ids (one per request or turn; cheap, pino caches bindings). */
export function bindIds(log: Logger, ids: LogIds): Logger {
  return log.child(ids);
}
