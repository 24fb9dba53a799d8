// Turning what goes wrong on the wire into SwiftletErrors, and deciding which of them a retry may cure.
import { SwiftletError } from '../core/index.js';
import type { IncomingHttpHeaders } from 'node:http';

/** Provider statuses worth another attempt: rate limits, overload (Anthropic's 529) and gateway failures. */
const RETRY_STATUSES = new Set([429, 500, 502, 503, 504, 529]);

/** Socket-level failures that say nothing about the request itself. */
const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'EAI_AGAIN',
  'ENOTFOUND',
  'UND_ERR_SOCKET',
]);

/** Our own pool was closed: the client is shutting down, another attempt cannot help. */
const CLOSED_CODES = new Set(['UND_ERR_CLOSED', 'UND_ERR_DESTROYED']);

/** A failed attempt and whether the retry loop may try again (the error's own `retryable` is for callers). */
export interface Failure {
  error: SwiftletError;
  retry: boolean;
}

export type TimeoutName = 'connect' | 'first-token' | 'idle' | 'total';

const TIMEOUT_FIELDS: Record<TimeoutName, string> = {
  connect: 'timeouts.connectMs',
  'first-token': 'timeouts.firstTokenMs',
  idle: 'timeouts.idleMs',
  total: 'timeouts.totalMs',
};

export function timeoutError(provider: string, name: TimeoutName, ms: number): SwiftletError {
  return new SwiftletError(
    'SWIFTLET_ERR_MODEL_TIMEOUT',
    `${provider}: ${name} timeout: ${ms} ms elapsed (${TIMEOUT_FIELDS[name]})`,
  );
}

export function flattenHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

/** `retry-after-ms` (OpenAI) or `retry-after` in seconds or as an HTTP date, in milliseconds from now. */
export function parseRetryAfter(headers: Record<string, string>, now = Date.now()): number | undefined {
  const ms = headers['retry-after-ms'];
  if (ms !== undefined && ms.trim() !== '' && Number.isFinite(Number(ms))) return Math.max(0, Number(ms));
  const value = headers['retry-after']?.trim();
  if (value === undefined || value === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * The error for an HTTP error status. Its message names the provider (its config name) and the status, never the
 * body: a provider's text can echo the key it was sent, and messages reach API clients and session logs. The body
 * stays on the error for code that handles it, and observers log it redacted (src/obs).
 */
export function httpError(
  provider: string,
  status: number,
  headers: Record<string, string>,
  body: string,
): SwiftletError {
  const retryAfterMs = parseRetryAfter(headers);
  return new SwiftletError('SWIFTLET_ERR_MODEL_HTTP', `${provider}: provider error (HTTP ${status})`, {
    status,
    headers,
    body,
    retryable: RETRY_STATUSES.has(status),
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
  });
}

function errorCode(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const { code, cause, errors } = err as { code?: unknown; cause?: unknown; errors?: unknown };
  if (typeof code === 'string') return code;
  // Happy-eyeballs connects fail with an AggregateError holding one error per address.
  if (Array.isArray(errors) && errors.length > 0) return errorCode(errors[0]);
  return cause === undefined ? undefined : errorCode(cause);
}

/**
 * Classifies an error thrown by undici during an attempt. `yielded` is true once the caller has seen an event:
 * from then on nothing is retried, as the caller would see the answer twice.
 */
export function transportFailure(provider: string, err: unknown, yielded: boolean, connectMs: number): Failure {
  const code = errorCode(err);
  if (code === 'UND_ERR_CONNECT_TIMEOUT') {
    return { error: timeoutError(provider, 'connect', connectMs), retry: true };
  }
  const message = err instanceof Error ? err.message : String(err);
  if (code !== undefined && CLOSED_CODES.has(code)) {
    const error = new SwiftletError('SWIFTLET_ERR_SHUTTING_DOWN', `${provider}: model client is closed`, {
      cause: err,
      retryable: false,
    });
    return { error, retry: false };
  }
  if (code !== undefined && CONNECTION_CODES.has(code)) {
    if (yielded) {
      const error = new SwiftletError(
        'SWIFTLET_ERR_MODEL_CONNECT',
        `${provider}: connection lost after the answer had started (${code}: ${message})`,
        { cause: err, retryable: false },
      );
      return { error, retry: false };
    }
    const retryable = code !== 'ENOTFOUND';
    const error = new SwiftletError('SWIFTLET_ERR_MODEL_CONNECT', `${provider}: ${code}: ${message}`, {
      cause: err,
      retryable,
    });
    return { error, retry: retryable };
  }
  const error = new SwiftletError('SWIFTLET_ERR_MODEL_RESPONSE', `${provider}: ${message}`, { cause: err });
  return { error, retry: false };
}
