// Who may call the gateway and how much: bearer API keys (compared by SHA-256, in constant time, against every key),
// a token bucket per key, and turn admission (agent allow lists, concurrent turns globally and per key).
import { createHash, timingSafeEqual } from 'node:crypto';
import { BlockList, isIP } from 'node:net';
import { performance } from 'node:perf_hooks';
import { SwiftletError } from '../core/index.js';
import type { Authenticate } from './http.js';
import { LOCAL_CALLER, type ApiKeyOptions, type Caller, type ServerOptions } from './types.js';

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/** 127.0.0.0/8 (also IPv4-mapped, `::ffff:127.0.0.1`), `::1` (bracketed or not) and `localhost`. */
export function isLoopback(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  if (h === 'localhost' || h === 'localhost.') return true;
  const family = isIP(h);
  // BlockList matches an IPv4-mapped IPv6 address against the IPv4 subnet.
  return family !== 0 && LOOPBACK.check(h, family === 4 ? 'ipv4' : 'ipv6');
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** A monotonic clock in milliseconds; tests pass their own. */
export type Clock = () => number;

/** Tokens refill continuously at `ratePerSec` up to `burst`; a request takes one. Starts full. */
class TokenBucket {
  #tokens: number;
  #at: number;
  readonly #perMs: number;
  readonly #burst: number;

  constructor(ratePerSec: number, burst: number, now: number) {
    this.#perMs = ratePerSec / 1000;
    this.#burst = burst;
    this.#tokens = burst;
    this.#at = now;
  }

  /** Takes a token and returns 0, or returns the milliseconds until the next token (taking nothing). */
  take(now: number): number {
    this.#tokens = Math.min(this.#burst, this.#tokens + Math.max(0, now - this.#at) * this.#perMs);
    this.#at = now;
    if (this.#tokens >= 1) {
      this.#tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - this.#tokens) / this.#perMs));
  }
}

const MISSING = 'missing API key: send Authorization: Bearer <key>';

/** Authentication, plus `charge`: one more request against the caller's rate limit (a WebSocket message). */
export type KeyAuthenticate = Authenticate & {
  /** Takes a token from the caller's key's bucket; the RATE_LIMITED error (with its retry delay) when it is empty. */
  charge(caller: Caller): SwiftletError | undefined;
  /** The same check on an `Authorization` value that arrived some other way (gRPC metadata). */
  bearer(header: string | undefined): Caller | SwiftletError;
};

/**
 * Bearer-key authentication, then the key's rate limit. Every request is compared with every key, whatever matches,
 * so the time taken says nothing about which key (or how much of one) was right.
 */
export function createAuthenticate(
  options: Pick<ServerOptions, 'apiKeys'>,
  now: Clock = () => performance.now(),
): KeyAuthenticate {
  const keys = options.apiKeys.map((k, i) => ({
    key: k,
    // A hash of another length would make timingSafeEqual throw on every request.
    hash: validHash(k, i),
    bucket: k.ratePerSec === undefined ? null : new TokenBucket(k.ratePerSec, bucketSize(k), now()),
    // One frozen caller per key: a request allocates nothing to say who it is.
    caller: Object.freeze({ key: k, tenant: k.tenant, admin: k.admin === true }) as Caller,
  }));
  const byKey = new Map(keys.map((k) => [k.key, k]));
  const limit = (k: (typeof keys)[number]): SwiftletError | undefined => {
    const wait = k.bucket?.take(now()) ?? 0;
    if (wait === 0) return undefined;
    return new SwiftletError(
      'SWIFTLET_ERR_RATE_LIMITED',
      `API key "${k.key.name}" is over its rate limit (${String(k.key.ratePerSec)} requests/s, burst ${bucketSize(k.key)})`,
      { retryAfterMs: wait },
    );
  };
  const charge = (caller: Caller): SwiftletError | undefined => {
    const k = caller.key && byKey.get(caller.key);
    return k ? limit(k) : undefined;
  };
  if (keys.length === 0) return Object.assign(() => LOCAL_CALLER, { charge, bearer: () => LOCAL_CALLER });
  const bearer = (header: string | undefined): Caller | SwiftletError => {
    const m = typeof header === 'string' ? /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header) : null;
    if (!m) return new SwiftletError('SWIFTLET_ERR_UNAUTHORIZED', MISSING);
    const digest = createHash('sha256').update(m[1]!).digest();
    let found: (typeof keys)[number] | null = null;
    for (const k of keys) if (timingSafeEqual(digest, k.hash) && found === null) found = k;
    if (!found) return new SwiftletError('SWIFTLET_ERR_UNAUTHORIZED', 'unknown API key');
    return limit(found) ?? found.caller;
  };
  const authenticate: Authenticate = (req) => bearer(req.headers.authorization);
  return Object.assign(authenticate, { charge, bearer });
}

function validHash(k: ApiKeyOptions, i: number): Buffer {
  if (!/^[0-9a-f]{64}$/.test(k.sha256)) {
    throw new SwiftletError(
      'SWIFTLET_ERR_CONFIG_INVALID',
      `API key "${k.name}": sha256 must be 64 lower-case hex digits`,
      {
        field: `server.apiKeys[${i}]`,
      },
    );
  }
  return Buffer.from(k.sha256, 'hex');
}

function bucketSize(k: ApiKeyOptions): number {
  return k.burst ?? Math.max(1, Math.ceil(k.ratePerSec ?? 1));
}

export interface Admission {
  admit(caller: Caller, agent: string): () => void;
  checkAgent(caller: Caller, agent: string): void;
}

// A turn's length is unknown at admission; a client told to come back in a second finds a slot as turns end.
const OVERLOADED_RETRY_MS = 1000;

/** Throws FORBIDDEN when the caller's key has an agent list without `agent`. */
export function checkAgent(caller: Caller, agent: string, field = 'agent'): void {
  const allowed = caller.key?.agents;
  if (allowed && !allowed.includes(agent)) {
    throw new SwiftletError('SWIFTLET_ERR_FORBIDDEN', `this API key may not use agent "${agent}"`, { field });
  }
}

/** Agent allow lists and concurrent-turn limits, global and per key. */
export function createAdmission(options: ServerOptions): Admission {
  let active = 0;
  const perKey = new Map<string, number>();
  return {
    checkAgent,
    admit(caller, agent) {
      checkAgent(caller, agent);
      if (active >= options.maxConcurrentTurns) {
        throw new SwiftletError(
          'SWIFTLET_ERR_OVERLOADED',
          `too many turns in flight (server.maxConcurrentTurns: ${options.maxConcurrentTurns})`,
          { retryAfterMs: OVERLOADED_RETRY_MS },
        );
      }
      const key = caller.key;
      const mine = key ? (perKey.get(key.name) ?? 0) : 0;
      if (key?.maxConcurrentTurns !== undefined && mine >= key.maxConcurrentTurns) {
        throw new SwiftletError(
          'SWIFTLET_ERR_OVERLOADED',
          `API key "${key.name}" already has ${mine} turns in flight (its maxConcurrentTurns)`,
          { retryAfterMs: OVERLOADED_RETRY_MS },
        );
      }
      active++;
      if (key) perKey.set(key.name, mine + 1);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        active--;
        if (!key) return;
        const left = (perKey.get(key.name) ?? 1) - 1;
        if (left > 0) perKey.set(key.name, left);
        else perKey.delete(key.name);
      };
    },
  };
}
