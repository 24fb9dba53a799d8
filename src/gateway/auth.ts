import { createHash, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import { SwiftletError } from '../core/index.js';
import type { Authenticate } from './http.js';
import type { ApiKeyOptions, Caller, ServerOptions } from './types.js';

export function isLoopback(host: string): boolean {
  if (host === 'localhost' || host === '::1' || host === '[::1]') return true;
  return isIP(host) === 4 && host.startsWith('127.');
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Bearer-key authentication; keys are compared by SHA-256 in constant time, every key checked. */
export function createAuthenticate(options: ServerOptions): Authenticate {
  const keys = options.apiKeys.map((k) => ({ key: k, hash: Buffer.from(k.sha256, 'hex') }));
  if (keys.length === 0) return () => ({ key: null });
  return (req) => {
    const header = req.headers.authorization;
    const m = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (!m) return new SwiftletError('SWIFTLET_ERR_UNAUTHORIZED', 'missing API key: send Authorization: Bearer <key>');
    const digest = createHash('sha256').update(m[1]!).digest();
    let found: ApiKeyOptions | null = null;
    for (const k of keys) if (timingSafeEqual(digest, k.hash) && found === null) found = k.key;
    if (!found) return new SwiftletError('SWIFTLET_ERR_UNAUTHORIZED', 'unknown API key');
    return { key: found };
  };
}

export interface Admission {
  admit(caller: Caller, agent: string): () => void;
  checkAgent(caller: Caller, agent: string): void;
}

/** Agent allow lists and concurrent-turn limits, global and per key. */
export function createAdmission(options: ServerOptions): Admission {
  let active = 0;
  const perKey = new Map<string, number>();
  const checkAgent = (caller: Caller, agent: string): void => {
    const allowed = caller.key?.agents;
    if (allowed && !allowed.includes(agent)) {
      throw new SwiftletError('SWIFTLET_ERR_FORBIDDEN', `this API key may not use agent "${agent}"`, { field: 'agent' });
    }
  };
  return {
    checkAgent,
    admit(caller, agent) {
      checkAgent(caller, agent);
      if (active >= options.maxConcurrentTurns) {
        throw new SwiftletError('SWIFTLET_ERR_OVERLOADED', `too many turns in flight (${options.maxConcurrentTurns})`, {
          retryAfterMs: 1000,
        });
      }
      const key = caller.key;
      const mine = key ? (perKey.get(key.name) ?? 0) : 0;
      if (key?.maxConcurrentTurns !== undefined && mine >= key.maxConcurrentTurns) {
        throw new SwiftletError(
          'SWIFTLET_ERR_OVERLOADED',
          `API key "${key.name}" already has ${mine} turns in flight (its maxConcurrentTurns)`,
          { retryAfterMs: 1000 },
        );
      }
      active++;
      if (key) perKey.set(key.name, mine + 1);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        active--;
        if (key) perKey.set(key.name, (perKey.get(key.name) ?? 1) - 1);
      };
    },
  };
}
