// The zod schema of swiftlet.yaml as written (camelCase keys, defaults filled in). Built once at import; every object
// is strict so a misspelt key is an error rather than a silently ignored setting. Checks that span several fields
// (model → provider, API keys, driver-specific storage keys) live in checks.ts.
import { isIP } from 'node:net';
import { z } from 'zod';

export const NAME_PATTERN = /^[a-zA-Z0-9_-]{1,64}$/;
export const OFFICIAL_BASE_URL = {
  openai: 'https://api.openai.com/v1',
  anthropic: 'https://api.anthropic.com',
} as const;
export const API_KEY_ENV = { openai: 'OPENAI_API_KEY', anthropic: 'ANTHROPIC_API_KEY' } as const;
export const DEFAULT_SQLITE_PATH = '.swiftlet/swiftlet.db';
export const BASIC_TOOLS = ['todo', 'current_time'] as const;
export const TOOL_NAMES = [...BASIC_TOOLS, 'http_fetch', 'delegate'] as const;
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
/** Comma-separated API keys added to `server.apiKeys`, named `env-1`, `env-2`, … */
export const API_KEYS_ENV = 'SWIFTLET_API_KEYS';
/** Defaults of the request deadlines, also used by the check that the headers' one fits in the request's. */
export const REQUEST_DEADLINES = { headersTimeoutMs: 10_000, requestTimeoutMs: 30_000 } as const;
export const KEY_HASH_PATTERN = /^sha256:[0-9a-fA-F]{64}$/;

// A hostname or IPv4 address, optionally `*.`-prefixed, optionally with a port; or a bracketed IPv6 address.
const LABEL = '[a-zA-Z0-9_](?:[a-zA-Z0-9_-]{0,61}[a-zA-Z0-9_])?';
const HOST_PATTERN = new RegExp(`^(?:(?:\\*\\.)?${LABEL}(?:\\.${LABEL})*|\\[[0-9a-fA-F:.]+\\])(?::[0-9]{1,5})?$`);
const HOSTNAME_PATTERN = new RegExp(`^(?:\\*\\.)?${LABEL}(?:\\.${LABEL})*$`);
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

const posInt = () => z.int().min(1);
const nonNegInt = () => z.int().min(0);
const name = (what: string) =>
  z.string().regex(NAME_PATTERN, { error: `invalid ${what} name: use 1-64 letters, digits, "_" or "-"` });

function isHttpUrl(s: string): boolean {
  try {
    const u = new URL(s);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}

/** A bare origin as browsers send it: scheme, host, optional port; no path, no trailing slash. */
function isOrigin(s: string): boolean {
  try {
    const u = new URL(s);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.origin === s.toLowerCase();
  } catch {
    return false;
  }
}

function isBindHost(s: string): boolean {
  return isIP(s) !== 0 || /^[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,62})(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,62}))*$/.test(s);
}

function validPort(port: string | undefined): boolean {
  return port === undefined || (Number(port) >= 1 && Number(port) <= 65_535);
}

const providerSchema = z.strictObject({
  type: z.enum(['openai', 'anthropic', 'mock']),
  baseUrl: z.string().refine(isHttpUrl, 'expected an http(s) URL').optional(),
  apiKey: z.string().optional(),
  headers: z
    .record(
      z.string().regex(HEADER_NAME, { error: 'invalid header name' }),
      z.string().refine((v) => !/[\r\n]/.test(v), 'header values must not contain line breaks'),
    )
    .default({}),
  timeouts: z
    .strictObject({
      connectMs: posInt().default(10_000),
      firstTokenMs: posInt().default(60_000),
      idleMs: posInt().default(60_000),
      totalMs: posInt().default(600_000),
    })
    .prefault({}),
  retries: z
    .strictObject({
      max: nonNegInt().default(2),
      baseDelayMs: nonNegInt().default(500),
      maxDelayMs: nonNegInt().default(20_000),
    })
    .prefault({}),
  maxConnections: posInt().default(64),
});

const hostList = z
  .array(
    z
      .string()
      .regex(HOST_PATTERN, {
        error: 'expected a hostname like "api.example.com" or "*.example.com", with an optional ":port"',
      })
      .refine((h) => validPort(/:(\d+)$/.exec(h)?.[1]), 'port must be 1-65535'),
  )
  .min(1, { error: 'list at least one host' });

const basicToolName = z.enum(BASIC_TOOLS, {
  error: (iss) =>
    typeof iss.input !== 'string'
      ? `expected a tool name or a mapping, got ${iss.input === null ? 'null' : typeof iss.input}`
      : iss.input === 'http_fetch'
        ? 'http_fetch needs allowHosts: write it as { name: http_fetch, allowHosts: [api.example.com] }'
        : iss.input === 'delegate'
          ? 'write delegate as a mapping: { name: delegate } (options: agents, maxDepth, maxTasksPerTurn, waitTimeoutMs)'
          : `unknown tool ${JSON.stringify(iss.input)}: expected one of ${TOOL_NAMES.join(', ')}`,
});

const toolSchema = z.union([
  basicToolName,
  z.discriminatedUnion('name', [
    z.strictObject({ name: z.enum(BASIC_TOOLS), timeoutMs: posInt().optional() }),
    z.strictObject({
      name: z.literal('http_fetch'),
      allowHosts: hostList,
      maxBytes: posInt().default(262_144),
      timeoutMs: posInt().default(10_000),
      allowHttp: z.boolean().default(false),
    }),
    z.strictObject({
      name: z.literal('delegate'),
      agents: z.array(name('agent')).optional(),
      maxDepth: posInt().default(3),
      maxTasksPerTurn: posInt().default(8),
      waitTimeoutMs: posInt().default(120_000),
    }),
  ]),
]);

const agentSchema = z.strictObject({
  description: z.string().default(''),
  model: z.string().regex(/^[^/\s]+\/\S/, { error: 'expected "<provider>/<model>", e.g. "openai/gpt-4o-mini"' }),
  instructions: z.string().default(''),
  tools: z.array(toolSchema).default([]),
  maxSteps: posInt().default(8),
  temperature: z.number().min(0).max(2).optional(),
  maxTokens: posInt().optional(),
  historyWindow: posInt().default(50),
  toolTimeoutMs: posInt().default(30_000),
  maxOutputBytes: posInt().default(1_048_576),
  skills: z
    .array(z.union([name('skill'), z.strictObject({ name: name('skill'), description: z.string().default('') })]))
    .default([]),
  maxConcurrentTasks: posInt().default(4),
});

const storageSchema = z
  .strictObject({
    driver: z.enum(['sqlite', 'postgres', 'memory']).default('sqlite'),
    path: z.string().min(1).optional().meta({ default: DEFAULT_SQLITE_PATH }),
    synchronous: z.enum(['normal', 'full']).optional().meta({ default: 'normal' }),
    url: z
      .string()
      .refine((s) => /^postgres(?:ql)?:\/\//.test(s), 'expected a postgres:// or postgresql:// URL')
      .optional(),
    schema: z
      .string()
      .regex(/^[a-z_][a-z0-9_]{0,62}$/, {
        error: 'expected a schema name: lower-case letters, digits and _ (at most 63), not starting with a digit',
      })
      .optional(),
    maxConnections: posInt().optional().meta({ default: 10 }),
    durability: z.enum(['durable', 'relaxed']).default('durable'),
    flushIntervalMs: posInt().default(50),
    hotCacheMb: nonNegInt().default(64),
    pruning: z
      .strictObject({
        maxMessages: posInt().optional(),
        ttlDays: z.number().positive().optional(),
        intervalMs: posInt().default(3_600_000),
      })
      .prefault({}),
  })
  .prefault({});

const limitsSchema = z
  .strictObject({
    maxQueuedTurnsPerSession: posInt().default(8),
    maxConcurrentTurns: posInt().default(256),
    maxInputBytes: posInt().default(1_048_576),
    maxToolOutputBytes: posInt().default(65_536),
  })
  .prefault({});

// `key` xor `keyHash`, unique names and keys, known agents and `burst` without `ratePerSec` are checked in checks.ts,
// where the whole list and the agents are in view.
const apiKeySchema = z.strictObject({
  name: name('API key'),
  key: z.string().min(1).optional(),
  keyHash: z
    .string()
    .regex(KEY_HASH_PATTERN, { error: 'expected "sha256:" and 64 hex digits (sha256sum of the key)' })
    .optional(),
  tenant: name('tenant').optional(),
  admin: z.boolean().default(false),
  agents: z.array(name('agent')).optional(),
  ratePerSec: z.number().positive().optional(),
  burst: posInt().optional(),
  maxConcurrentTurns: posInt().optional(),
});

// The broker's gRPC server (docs/grpc.md): off unless the section is present.
const grpcSchema = z.strictObject({
  host: z.string().refine(isBindHost, 'expected a hostname or an IP address to bind to').default('127.0.0.1'),
  port: z.int().min(0).max(65_535).default(50_051),
  tls: z
    .strictObject({
      certFile: z.string().min(1),
      keyFile: z.string().min(1),
      caFile: z.string().min(1).optional(),
    })
    .optional(),
});

const serverSchema = z
  .strictObject({
    host: z.string().refine(isBindHost, 'expected a hostname or an IP address to bind to').default('127.0.0.1'),
    port: z.int().min(0).max(65_535).default(8080),
    apiKeys: z.array(apiKeySchema).default([]),
    bodyLimitBytes: posInt().default(1_048_576),
    maxConcurrentTurns: posInt().default(1024),
    idleTimeoutMs: posInt().default(60_000),
    headersTimeoutMs: posInt().default(REQUEST_DEADLINES.headersTimeoutMs),
    requestTimeoutMs: posInt().default(REQUEST_DEADLINES.requestTimeoutMs),
    maxConnections: posInt().default(10_000),
    drainTimeoutMs: nonNegInt().default(10_000),
    allowedHosts: z
      .array(
        z.string().regex(HOSTNAME_PATTERN, {
          error: 'expected a host name like "agents.lan" or "*.example.com" (no scheme, no port)',
        }),
      )
      .default([]),
    allowedOrigins: z
      .array(
        z.string().refine(isOrigin, 'expected an origin like https://app.example.com (scheme, host, port; no path)'),
      )
      .default([]),
    sseHeartbeatMs: posInt().default(15_000),
    wsMaxBufferedBytes: posInt().default(4_194_304),
    metrics: z.boolean().default(true),
    webPage: z.boolean().default(true),
    grpc: grpcSchema.optional(),
  })
  .prefault({});

const busSchema = z
  .strictObject({
    driver: z.enum(['local', 'nats']).default('local'),
    url: z.string().min(1).optional(),
    stream: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, _ and - only')
      .optional(),
    republishMs: posInt().optional(),
    leaseMs: posInt().default(30_000),
    maxAttempts: posInt().default(3),
    maxQueued: posInt().default(10_000),
    sweepMs: posInt().default(1000),
  })
  .prefault({});

const loggingSchema = z.strictObject({ level: z.enum(LOG_LEVELS).default('info') }).prefault({});

export const configSchema = z
  .strictObject({
    providers: z.record(name('provider'), providerSchema),
    agents: z
      .record(name('agent'), agentSchema)
      .refine((agents) => Object.keys(agents).length > 0, 'define at least one agent'),
    storage: storageSchema,
    limits: limitsSchema,
    server: serverSchema,
    bus: busSchema,
    logging: loggingSchema,
  })
  .meta({ title: 'Swiftlet configuration (swiftlet.yaml)' });

export type ConfigInput = z.output<typeof configSchema>;
