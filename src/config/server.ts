// The `server` section's checks and normalisation: API keys are hashed here, at load, so the plain key never reaches
// the rest of Swiftlet; keys from SWIFTLET_API_KEYS join the configured ones.
import { createHash } from 'node:crypto';
import { BlockList, isIP } from 'node:net';
import { isAbsolute, resolve } from 'node:path';
import type { RawIssue } from './interpolate.js';
import { API_KEYS_ENV, REQUEST_DEADLINES, type ConfigInput } from './schema.js';
import type { ApiKeyConfig, GrpcConfig, ServerConfig } from './types.js';

type Env = Record<string, string | undefined>;

/** Printable ASCII without spaces: the key travels as `Authorization: Bearer <key>`. */
const KEY_CHARS = /^[\x21-\x7e]+$/;
const KEY_CHARS_MESSAGE = 'use printable ASCII without spaces (it is sent as "Authorization: Bearer <key>")';
const SHORT_KEY = 16;

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** The keys of SWIFTLET_API_KEYS, in order, blanks skipped. */
export function envApiKeys(env: Env): string[] {
  return (env[API_KEYS_ENV] ?? '')
    .split(',')
    .map((k) => k.trim())
    .filter((k) => k !== '');
}

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/** 127.0.0.0/8 (also IPv4-mapped), ::1 and localhost: the hosts the gateway serves without API keys. */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase();
  if (h === 'localhost' || h === 'localhost.') return true;
  const family = isIP(h);
  return family !== 0 && LOOPBACK.check(h, family === 4 ? 'ipv4' : 'ipv6');
}

export function checkServer(server: unknown, agents: unknown, env: Env): RawIssue[] {
  const issues: RawIssue[] = [];
  const fromEnv = envApiKeys(env);
  const keyOwner = new Map<string, string>();
  fromEnv.forEach((key, i) => {
    if (!KEY_CHARS.test(key)) issues.push({ path: [API_KEYS_ENV], message: `key ${i + 1}: ${KEY_CHARS_MESSAGE}` });
    keyOwner.set(sha256Hex(key), `${API_KEYS_ENV} key ${i + 1}`);
  });
  if (!isRecord(server)) return issues;
  const headers = server.headersTimeoutMs ?? REQUEST_DEADLINES.headersTimeoutMs;
  const request = server.requestTimeoutMs ?? REQUEST_DEADLINES.requestTimeoutMs;
  if (typeof headers === 'number' && typeof request === 'number' && headers > request) {
    issues.push({
      path: ['server', server.headersTimeoutMs === undefined ? 'requestTimeoutMs' : 'headersTimeoutMs'],
      message: `headersTimeoutMs (${headers}) must not exceed requestTimeoutMs (${request}): the headers are part of the request`,
    });
  }
  const grpc = server.grpc;
  if (isRecord(grpc) && typeof grpc.port === 'number' && grpc.port !== 0) {
    const http = server.port ?? 8080;
    if (grpc.port === http) {
      issues.push({ path: ['server', 'grpc', 'port'], message: `the same port as server.port (${http})` });
    }
  }
  if (!Array.isArray(server.apiKeys)) return issues;
  const known = isRecord(agents) ? Object.keys(agents) : undefined;
  const names = new Map<string, number>();
  server.apiKeys.forEach((k: unknown, i) => {
    if (!isRecord(k)) return;
    const at = ['server', 'apiKeys', i];
    if (k.key === undefined && k.keyHash === undefined) issues.push({ path: at, message: 'set key or keyHash' });
    if (k.key !== undefined && k.keyHash !== undefined) {
      issues.push({ path: [...at, 'keyHash'], message: 'set key or keyHash, not both' });
    }
    if (typeof k.key === 'string' && k.key !== '' && !KEY_CHARS.test(k.key)) {
      issues.push({ path: [...at, 'key'], message: KEY_CHARS_MESSAGE });
    }
    if (typeof k.name === 'string') {
      const first = names.get(k.name);
      if (first !== undefined) issues.push({ path: [...at, 'name'], message: `duplicate name (also at [${first}])` });
      else names.set(k.name, i);
      const n = /^env-(\d+)$/.exec(k.name)?.[1];
      if (n !== undefined && Number(n) >= 1 && Number(n) <= fromEnv.length) {
        issues.push({ path: [...at, 'name'], message: `also the name of ${API_KEYS_ENV} key ${n}; rename it` });
      }
    }
    const field = typeof k.key === 'string' ? 'key' : 'keyHash';
    const hash = typeof k.key === 'string' ? sha256Hex(k.key) : hashOf(k.keyHash);
    if (hash !== undefined) {
      const owner = keyOwner.get(hash);
      if (owner !== undefined) issues.push({ path: [...at, field], message: `the same key as ${owner}` });
      else keyOwner.set(hash, `server.apiKeys[${i}]`);
    }
    if (k.burst !== undefined && k.ratePerSec === undefined) {
      issues.push({ path: [...at, 'burst'], message: 'applies only with ratePerSec' });
    }
    if (Array.isArray(k.agents) && known !== undefined) {
      k.agents.forEach((a: unknown, j) => {
        if (typeof a === 'string' && !known.includes(a)) {
          issues.push({
            path: [...at, 'agents', j],
            message: `unknown agent "${a}"; ${known.length > 0 ? `defined: ${known.join(', ')}` : 'no agents are defined'}`,
          });
        }
      });
    }
  });
  return issues;
}

function hashOf(keyHash: unknown): string | undefined {
  return typeof keyHash === 'string' && /^sha256:[0-9a-fA-F]{64}$/.test(keyHash)
    ? keyHash.slice('sha256:'.length).toLowerCase()
    : undefined;
}

export function normalizeServer(
  s: ConfigInput['server'],
  env: Env,
  baseDir: string,
): { server: ServerConfig; warnings: string[] } {
  const warnings: string[] = [];
  const short = (what: string, key: string) => {
    if (key.length < SHORT_KEY) {
      warnings.push(`${what} is only ${key.length} characters: use a long random key (openssl rand -hex 32)`);
    }
  };
  const configured = s.apiKeys.map((k, i): ApiKeyConfig => {
    if (k.key !== undefined) short(`server.apiKeys[${i}].key`, k.key);
    return {
      name: k.name,
      // checks.ts has made sure exactly one of key and keyHash is set.
      sha256: k.key !== undefined ? sha256Hex(k.key) : (hashOf(k.keyHash) ?? ''),
      tenant: k.tenant ?? k.name,
      admin: k.admin,
      ...(k.agents === undefined ? {} : { agents: [...k.agents] }),
      ...(k.ratePerSec === undefined
        ? {}
        : { ratePerSec: k.ratePerSec, burst: k.burst ?? Math.max(1, Math.ceil(k.ratePerSec)) }),
      ...(k.maxConcurrentTurns === undefined ? {} : { maxConcurrentTurns: k.maxConcurrentTurns }),
    };
  });
  const fromEnv = envApiKeys(env).map((key, i): ApiKeyConfig => {
    short(`${API_KEYS_ENV} key ${i + 1}`, key);
    return { name: `env-${i + 1}`, sha256: sha256Hex(key), tenant: `env-${i + 1}`, admin: false };
  });
  const apiKeys = [...configured, ...fromEnv];
  for (const [what, host] of [
    ['server.host', s.host],
    ['server.grpc.host', s.grpc?.host],
  ] as const) {
    if (host !== undefined && apiKeys.length === 0 && !isLoopbackHost(host)) {
      warnings.push(
        `${what} ${host} is not a loopback address and no API keys are configured: swiftlet serve will refuse to start`,
      );
    }
  }
  const { grpc, ...rest } = s;
  const server: ServerConfig = {
    ...rest,
    apiKeys,
    allowedOrigins: s.allowedOrigins.map((o) => o.toLowerCase()),
    allowedHosts: s.allowedHosts.map((h) => h.toLowerCase()),
    ...(grpc === undefined ? {} : { grpc: grpcConfig(grpc, baseDir) }),
  };
  return { server, warnings };
}

/** The gRPC section with its TLS files made absolute, relative to the config file's directory. */
function grpcConfig(g: NonNullable<ConfigInput['server']['grpc']>, baseDir: string): GrpcConfig {
  const abs = (p: string): string => (isAbsolute(p) ? p : resolve(baseDir, p));
  const { tls } = g;
  return {
    host: g.host,
    port: g.port,
    ...(tls === undefined
      ? {}
      : {
          tls: {
            certFile: abs(tls.certFile),
            keyFile: abs(tls.keyFile),
            ...(tls.caFile === undefined ? {} : { caFile: abs(tls.caFile) }),
          },
        }),
  };
}
