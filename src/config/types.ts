// The validated, normalised shape of swiftlet.yaml. Everything here is deep-frozen once loaded: code that receives a
// SwiftletConfig trusts it and never re-validates.

export type ProviderType = 'openai' | 'anthropic' | 'mock';

export interface ProviderConfig {
  /** The key under `providers:`; agents refer to models as `<name>/<model>`. */
  readonly name: string;
  /** `mock` is the built-in mock LLM, which speaks the OpenAI and Anthropic wire formats. */
  readonly type: ProviderType;
  /** Without trailing slash. Empty for `mock`, whose server is started in-process on a port chosen then. */
  readonly baseUrl: string;
  /** From the config, else from OPENAI_API_KEY / ANTHROPIC_API_KEY by type; absent when neither is set. */
  readonly apiKey?: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly timeouts: {
    readonly connectMs: number;
    readonly firstTokenMs: number;
    readonly idleMs: number;
    readonly totalMs: number;
  };
  readonly retries: { readonly max: number; readonly baseDelayMs: number; readonly maxDelayMs: number };
  readonly maxConnections: number;
}

export type BasicToolName = 'todo' | 'current_time';
export type ToolName = BasicToolName | 'http_fetch' | 'delegate';

export interface BasicToolConfig {
  readonly name: BasicToolName;
  /** Absent: the agent's `toolTimeoutMs` applies. */
  readonly timeoutMs?: number;
}

export interface HttpFetchToolConfig {
  readonly name: 'http_fetch';
  /** Lower-case hostnames, `*.suffix` wildcards, each with an optional `:port`. Never empty. */
  readonly allowHosts: readonly string[];
  readonly maxBytes: number;
  readonly timeoutMs: number;
  /** Plain `http:` URLs are refused unless this is true. */
  readonly allowHttp: boolean;
}

/** `delegate` and `task_status`: hand tasks to other agents through the bus. */
export interface DelegateToolConfig {
  readonly name: 'delegate';
  /** Agents it may hand work to; absent: every other configured agent. */
  readonly agents?: readonly string[];
  readonly maxDepth: number;
  readonly maxTasksPerTurn: number;
  readonly waitTimeoutMs: number;
}

export type ToolConfig = BasicToolConfig | HttpFetchToolConfig | DelegateToolConfig;

export interface AgentConfig {
  /** The key under `agents:`. */
  readonly name: string;
  readonly description: string;
  /** `<provider>/<model id>` as written, e.g. `openai/gpt-4o-mini`. */
  readonly model: string;
  /** The provider's name (a key of `SwiftletConfig.providers`): the part of `model` before the first `/`. */
  readonly provider: string;
  /** The model id sent to the provider (`ModelRequest.model`): the part of `model` after the first `/`. */
  readonly modelId: string;
  /** The system prompt. */
  readonly instructions: string;
  readonly tools: readonly ToolConfig[];
  readonly maxSteps: number;
  readonly temperature?: number;
  readonly maxTokens?: number;
  /** How many messages of history are sent to the model. */
  readonly historyWindow: number;
  /** Default timeout for a tool call when the tool sets none. */
  readonly toolTimeoutMs: number;
  /** A turn whose model output (text and tool-call arguments, all steps) passes this many UTF-8 bytes fails. */
  readonly maxOutputBytes: number;
  /** Skills it offers: tasks sent `{skill: name}` go to one agent having it. */
  readonly skills: readonly SkillConfig[];
  /** Tasks it runs at once (each a turn in its own session). */
  readonly maxConcurrentTasks: number;
}

export interface SkillConfig {
  readonly name: string;
  readonly description: string;
}

/** The task bus: where tasks between agents are queued and how their claims behave. */
export interface BusConfig {
  readonly driver: 'local' | 'nats';
  /** nats: the server(s), `nats://host:4222`, comma-separated. */
  readonly url?: string | undefined;
  /** nats: the JetStream stream (and the first token of its subjects). */
  readonly stream?: string | undefined;
  /** nats: a task unclaimed this long is offered again if NATS lost its offer. */
  readonly republishMs?: number | undefined;
  readonly leaseMs: number;
  readonly maxAttempts: number;
  readonly maxQueued: number;
  readonly sweepMs: number;
}

export interface PruningConfig {
  readonly maxMessages?: number;
  readonly ttlDays?: number;
  readonly intervalMs: number;
}

interface StorageCommon {
  /** `durable`: acknowledged means committed. `relaxed`: writes are flushed every `flushIntervalMs`. */
  readonly durability: 'durable' | 'relaxed';
  readonly flushIntervalMs: number;
  readonly hotCacheMb: number;
  readonly pruning: PruningConfig;
}

export interface SqliteStorageConfig extends StorageCommon {
  readonly driver: 'sqlite';
  /** Absolute path (or `:memory:`). */
  readonly path: string;
  readonly synchronous: 'normal' | 'full';
}

export interface PostgresStorageConfig extends StorageCommon {
  readonly driver: 'postgres';
  readonly url: string;
  readonly schema?: string;
  readonly maxConnections: number;
}

export interface MemoryStorageConfig extends StorageCommon {
  readonly driver: 'memory';
}

export type StorageConfig = SqliteStorageConfig | PostgresStorageConfig | MemoryStorageConfig;

export interface LimitsConfig {
  readonly maxQueuedTurnsPerSession: number;
  readonly maxConcurrentTurns: number;
  readonly maxInputBytes: number;
  readonly maxToolOutputBytes: number;
}

/** One API key. Only its SHA-256 is kept: the key itself never leaves the loader. */
export interface ApiKeyConfig {
  /** A label for logs and metrics; unique. Keys from SWIFTLET_API_KEYS are named `env-1`, `env-2`, … */
  readonly name: string;
  /** SHA-256 of the key, lower-case hex. */
  readonly sha256: string;
  /** The tenant whose data the key reaches: its own sessions, and no other's. Default: the key's name. */
  readonly tenant: string;
  /** An operator key: lists every tenant's sessions and reads or deletes any of them by naming its tenant. */
  readonly admin?: boolean;
  /** When set, the key may use only these agents (all of them configured). */
  readonly agents?: readonly string[];
  /** Token bucket: sustained requests per second. Absent: no rate limit. */
  readonly ratePerSec?: number;
  /** Token bucket size; present exactly when `ratePerSec` is (default max(1, ceil(ratePerSec))). */
  readonly burst?: number;
  /** Turns this key may have in flight at once. Absent: only the global limit applies. */
  readonly maxConcurrentTurns?: number;
}

/** The HTTP gateway's settings; the same shape as the gateway's `ServerOptions`. */
export interface ServerConfig {
  readonly host: string;
  /** 0: any free port. */
  readonly port: number;
  /** No keys: no authentication, which the gateway allows only on a loopback host. */
  readonly apiKeys: readonly ApiKeyConfig[];
  readonly bodyLimitBytes: number;
  readonly maxConcurrentTurns: number;
  readonly idleTimeoutMs: number;
  readonly headersTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly maxConnections: number;
  readonly drainTimeoutMs: number;
  /** Lower-case host names (`*.` wildcards) accepted in `Host` besides the loopback names. */
  readonly allowedHosts: readonly string[];
  /** Lower-case origins (`https://app.example.com`); empty: same origin only. */
  readonly allowedOrigins: readonly string[];
  readonly sseHeartbeatMs: number;
  readonly wsMaxBufferedBytes: number;
  readonly metrics: boolean;
  readonly webPage: boolean;
  /** The broker's gRPC server; absent: off. */
  readonly grpc?: GrpcConfig;
}

/** The broker's gRPC server, for agents and publishers in other languages (docs/grpc.md). */
export interface GrpcConfig {
  readonly host: string;
  /** 0: any free port. */
  readonly port: number;
  /** PEM files (absolute paths); absent: plain TCP. */
  readonly tls?: {
    readonly certFile: string;
    readonly keyFile: string;
    /** Clients must present a certificate signed by this CA. */
    readonly caFile?: string;
  };
}

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface LoggingConfig {
  readonly level: LogLevel;
}

export interface SwiftletConfig {
  readonly providers: Readonly<Record<string, ProviderConfig>>;
  readonly agents: Readonly<Record<string, AgentConfig>>;
  readonly storage: StorageConfig;
  readonly limits: LimitsConfig;
  readonly server: ServerConfig;
  readonly bus: BusConfig;
  readonly logging: LoggingConfig;
}

/** One problem found in a config, at its path (`agents.support.tools[2].timeoutMs`). */
export interface ConfigIssue {
  path: string;
  message: string;
}

export interface LoadedConfig {
  config: SwiftletConfig;
  /** The file it came from (absolute path), or null for the built-in default. */
  source: string | null;
  warnings: string[];
}
