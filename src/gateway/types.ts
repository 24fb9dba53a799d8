import type { Logger } from 'pino';
import { LOCAL_TENANT, type SwiftletError } from '../core/index.js';
import type { Runtime } from '../runtime/index.js';

export interface ApiKeyOptions {
  /** A label for logs and metrics; never the key itself. */
  name: string;
  /** SHA-256 of the key, lower-case hex. Keys are never kept in plain text. */
  sha256: string;
  /** The tenant whose sessions the key reaches. */
  tenant: string;
  /** An operator key: its listing shows every tenant, and `?tenant=` reaches another tenant's session. */
  admin?: boolean;
  /** When set, the key may use only these agents. */
  agents?: readonly string[];
  /** Token bucket: sustained requests per second and burst size. Absent: no rate limit. */
  ratePerSec?: number;
  burst?: number;
  /** Turns this key may have in flight at once. Absent: only the global limit applies. */
  maxConcurrentTurns?: number;
}

export interface ServerOptions {
  host: string;
  port: number;
  /** No keys: no authentication, allowed only on a loopback address. */
  apiKeys: readonly ApiKeyOptions[];
  bodyLimitBytes: number;
  /** Turns in flight through the gateway at once; more → 429 with Retry-After. */
  maxConcurrentTurns: number;
  /** Idle keep-alive connections are closed after this long. */
  idleTimeoutMs: number;
  /** Time to receive a request's headers, then its whole body (not to stream the answer); past it: 408. */
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  /** Open connections at most; more are refused at once. */
  maxConnections: number;
  /**
   * Lower-case host names (`*.` wildcards) accepted in `Host` besides the loopback names. A server without keys
   * answers any other Host with 421 (a DNS rebinding defence); with keys, the check applies only when this is set.
   */
  allowedHosts: readonly string[];
  /** On SIGTERM: how long running turns may finish before they are interrupted. */
  drainTimeoutMs: number;
  /** Origins allowed for WebSocket upgrades and CORS; empty = same origin only. */
  allowedOrigins: readonly string[];
  sseHeartbeatMs: number;
  /** A WebSocket whose unsent data passes this is closed (a slow reader is never buffered without bound). */
  wsMaxBufferedBytes: number;
  metrics: boolean;
  webPage: boolean;
}

export const DEFAULT_SERVER_OPTIONS: ServerOptions = {
  host: '127.0.0.1',
  port: 8080,
  apiKeys: [],
  bodyLimitBytes: 1_048_576,
  maxConcurrentTurns: 1024,
  idleTimeoutMs: 60_000,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  maxConnections: 10_000,
  allowedHosts: [],
  drainTimeoutMs: 10_000,
  allowedOrigins: [],
  sseHeartbeatMs: 15_000,
  wsMaxBufferedBytes: 4 * 1024 * 1024,
  metrics: true,
  webPage: true,
};

/** The authenticated caller of a request: `key` is null when authentication is off (tenant `local` then). */
export interface Caller {
  key: ApiKeyOptions | null;
  /** The tenant the caller's own sessions belong to. */
  tenant: string;
  admin: boolean;
}

/** The caller when no keys are configured: everything is tenant `local`. */
export const LOCAL_CALLER: Caller = Object.freeze({ key: null, tenant: LOCAL_TENANT, admin: false });

/** What every route module receives. */
export interface GatewayContext {
  runtime: Runtime;
  options: ServerOptions;
  log: Logger;
  /** True once SIGTERM (or close) started: new turns are refused with 503. */
  draining(): boolean;
  /**
   * Admission for one turn by this caller on this agent: throws FORBIDDEN (key not allowed this agent),
   * OVERLOADED (global or per-key concurrent turns reached; carries retryAfterMs) or SHUTTING_DOWN (draining).
   * Returns the release function, to call exactly once when the turn has ended.
   */
  admitTurn(caller: Caller, agent: string): () => void;
  /**
   * One more request against the caller's key's rate limit, for what arrives without an HTTP request (a WebSocket
   * `turn` or `interrupt` message): the RATE_LIMITED error to answer with, or undefined.
   */
  chargeRequest(caller: Caller): SwiftletError | undefined;
  /** Throws FORBIDDEN when the caller's key may not use this agent (for reads of an agent's sessions). */
  checkAgent(caller: Caller, agent: string): void;
}
