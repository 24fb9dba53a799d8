// One error module for all of Swiftlet. Every error carries a stable code, whose fault it is, and whether a retry may
// help. ERROR_CODES is the one source of the code table in docs/errors.md: `node --import tsx scripts/errors-doc.ts`
// rewrites it, and a test fails when the committed table differs.

const BRAND = Symbol.for('swiftlet.error');

/** Whose fault an error is: the caller's input, the model's behaviour, or the system (network, disk, provider). */
export type ErrorFault = 'user' | 'model' | 'system';

export interface ErrorInfo {
  message: string;
  fault: ErrorFault;
  retryable: boolean;
  /** HTTP status a gateway should answer with. */
  httpStatus: number;
}

/** A code's registry entry: its classification and the sentence docs/errors.md shows for it. */
export interface ErrorCodeInfo extends Omit<ErrorInfo, 'message'> {
  /** What the code means, for docs/errors.md (Markdown, one line). */
  doc: string;
  /** The docs' "retryable" column when a yes/no would mislead (the retry classification depends on the case). */
  retryableDoc?: string;
}

export const ERROR_CODES = {
  SWIFTLET_ERR_CONFIG_INVALID: {
    fault: 'user',
    retryable: false,
    httpStatus: 400,
    doc: 'The config file has problems; `issues` lists every one with its path (`agents.support.maxSteps: expected number`).',
  },
  SWIFTLET_ERR_CONFIG_NOT_FOUND: {
    fault: 'user',
    retryable: false,
    httpStatus: 400,
    doc: 'The config file named by `--config` or `SWIFTLET_CONFIG` does not exist.',
  },
  SWIFTLET_ERR_MISSING_API_KEY: {
    fault: 'user',
    retryable: false,
    httpStatus: 500,
    doc: "A provider needs an API key: set `apiKey` in the config or the provider's environment variable.",
  },
  SWIFTLET_ERR_INVALID_INPUT: {
    fault: 'user',
    retryable: false,
    httpStatus: 400,
    doc: 'A request or command-line argument is malformed; `field` names it.',
  },
  SWIFTLET_ERR_AGENT_NOT_FOUND: {
    fault: 'user',
    retryable: false,
    httpStatus: 404,
    doc: 'HTTP 404: no agent with that name is configured.',
  },
  SWIFTLET_ERR_SESSION_NOT_FOUND: {
    fault: 'user',
    retryable: false,
    httpStatus: 404,
    doc: "HTTP 404: no session with that id exists (in the caller's tenant, or that the API key may see).",
  },
  SWIFTLET_ERR_SESSION_AGENT_MISMATCH: {
    fault: 'user',
    retryable: false,
    httpStatus: 409,
    doc: 'The session belongs to another agent.',
  },
  SWIFTLET_ERR_SESSION_BUSY: {
    fault: 'user',
    retryable: true,
    httpStatus: 429,
    doc: 'The session already has `limits.maxQueuedTurnsPerSession` turns waiting (or a turn running, for delete). Retry later.',
  },
  SWIFTLET_ERR_ABORTED: {
    fault: 'user',
    retryable: false,
    httpStatus: 499,
    doc: 'The turn or request was interrupted (Ctrl-C, an interrupt call, or a crash recovered at start-up).',
  },
  SWIFTLET_ERR_MODEL_HTTP: {
    fault: 'system',
    retryable: false,
    httpStatus: 502,
    retryableDoc: '429 and 5xx',
    doc: 'The model provider answered with an HTTP error; `status`, `headers` and `body` are kept.',
  },
  SWIFTLET_ERR_MODEL_CONNECT: {
    fault: 'system',
    retryable: true,
    httpStatus: 502,
    doc: 'The model provider could not be reached (connection refused, reset, DNS, TLS).',
  },
  SWIFTLET_ERR_MODEL_TIMEOUT: {
    fault: 'system',
    retryable: true,
    httpStatus: 504,
    doc: 'A model call exceeded one of its timeouts (connect, first token, idle between chunks, total); the message names which.',
  },
  SWIFTLET_ERR_MODEL_RESPONSE: {
    fault: 'model',
    retryable: false,
    httpStatus: 502,
    doc: "The provider's answer could not be understood (malformed JSON or stream).",
  },
  SWIFTLET_ERR_TOOL_NOT_FOUND: {
    fault: 'model',
    retryable: false,
    httpStatus: 500,
    doc: 'The model called a tool the agent does not have. Sent back to the model as a tool error.',
  },
  SWIFTLET_ERR_TOOL_INVALID_ARGS: {
    fault: 'model',
    retryable: false,
    httpStatus: 500,
    doc: "The model's tool arguments did not match the tool's schema. Sent back to the model as a tool error.",
  },
  SWIFTLET_ERR_TOOL_TIMEOUT: {
    fault: 'system',
    retryable: true,
    httpStatus: 504,
    doc: 'A tool ran past its timeout. Sent back to the model as a tool error.',
  },
  SWIFTLET_ERR_TOOL_FAILED: {
    fault: 'system',
    retryable: false,
    httpStatus: 500,
    doc: 'A tool threw an error. Sent back to the model as a tool error.',
  },
  SWIFTLET_ERR_TOOL_DENIED: {
    fault: 'model',
    retryable: false,
    httpStatus: 403,
    doc: "A tool refused the call by policy (for example a host not on `http_fetch`'s allow list).",
  },
  SWIFTLET_ERR_OUTPUT_TOO_LARGE: {
    fault: 'model',
    retryable: false,
    httpStatus: 502,
    doc: "The model's output in one turn passed the agent's `maxOutputBytes`; the turn ends `failed`, keeping what came before the cap.",
  },
  SWIFTLET_ERR_STORE: {
    fault: 'system',
    retryable: true,
    httpStatus: 503,
    doc: 'The session store failed (disk, database connection, a concurrent writer). A durable turn that could not be saved ends as `failed`.',
  },
  SWIFTLET_ERR_STORE_SCHEMA: {
    fault: 'system',
    retryable: false,
    httpStatus: 500,
    doc: 'The database was written by a newer Swiftlet, or its schema could not be migrated.',
  },
  SWIFTLET_ERR_BUS_UNAVAILABLE: {
    fault: 'system',
    retryable: true,
    httpStatus: 503,
    doc: "The task bus's transport (`bus.driver: nats`) could not be reached at start-up. Once connected, an outage of NATS delays tasks but loses none: they wait in the store.",
  },
  SWIFTLET_ERR_SHUTTING_DOWN: {
    fault: 'system',
    retryable: true,
    httpStatus: 503,
    doc: 'The runtime is closing and accepts no new turns.',
  },
  SWIFTLET_ERR_UNAUTHORIZED: {
    fault: 'user',
    retryable: false,
    httpStatus: 401,
    doc: 'HTTP 401: no API key, or an unknown one (`Authorization: Bearer <key>`).',
  },
  SWIFTLET_ERR_FORBIDDEN: {
    fault: 'user',
    retryable: false,
    httpStatus: 403,
    doc: 'HTTP 403: the API key may not use this agent, or the WebSocket `Origin` is not allowed.',
  },
  SWIFTLET_ERR_NOT_FOUND: {
    fault: 'user',
    retryable: false,
    httpStatus: 404,
    doc: 'HTTP 404: no such route, turn (`turnId`) or stored response (`previous_response_id`).',
  },
  SWIFTLET_ERR_METHOD_NOT_ALLOWED: {
    fault: 'user',
    retryable: false,
    httpStatus: 405,
    doc: 'HTTP 405: the route exists, but not for this method.',
  },
  SWIFTLET_ERR_PAYLOAD_TOO_LARGE: {
    fault: 'user',
    retryable: false,
    httpStatus: 413,
    doc: 'HTTP 413: the request body is larger than `server.bodyLimitBytes`.',
  },
  SWIFTLET_ERR_REQUEST_TIMEOUT: {
    fault: 'user',
    retryable: true,
    httpStatus: 408,
    doc: "HTTP 408: the request's headers did not arrive within `server.headersTimeoutMs`, or the whole request within `server.requestTimeoutMs`. The connection is closed.",
  },
  SWIFTLET_ERR_HEADERS_TOO_LARGE: {
    fault: 'user',
    retryable: false,
    httpStatus: 431,
    doc: "HTTP 431: the request's headers are larger than the server accepts (16 KiB in all).",
  },
  SWIFTLET_ERR_URL_TOO_LONG: {
    fault: 'user',
    retryable: false,
    httpStatus: 414,
    doc: "HTTP 414: the request's URL is longer than 8 KiB.",
  },
  SWIFTLET_ERR_HOST_NOT_ALLOWED: {
    fault: 'user',
    retryable: false,
    httpStatus: 421,
    doc: 'HTTP 421: the `Host` header names a host this server does not serve (a server without API keys answers only `localhost`, `*.localhost`, IP addresses and `server.allowedHosts`, against DNS rebinding).',
  },
  SWIFTLET_ERR_UNSUPPORTED_MEDIA_TYPE: {
    fault: 'user',
    retryable: false,
    httpStatus: 415,
    doc: 'HTTP 415: the body must be `application/json`.',
  },
  SWIFTLET_ERR_RATE_LIMITED: {
    fault: 'user',
    retryable: true,
    httpStatus: 429,
    doc: 'HTTP 429: the API key is over its request rate; wait for `Retry-After` seconds.',
  },
  SWIFTLET_ERR_OVERLOADED: {
    fault: 'system',
    retryable: true,
    httpStatus: 429,
    doc: 'HTTP 429: too many turns in flight (globally or for this key); wait for `Retry-After` seconds.',
  },
  SWIFTLET_ERR_TASK_NOT_FOUND: {
    fault: 'user',
    retryable: false,
    httpStatus: 404,
    doc: "HTTP 404: no task with that id exists (in the caller's tenant).",
  },
  SWIFTLET_ERR_QUEUE_FULL: {
    fault: 'system',
    retryable: true,
    httpStatus: 429,
    doc: "HTTP 429: the target's queue already holds `bus.maxQueued` unclaimed tasks of this tenant; nothing was recorded. Retry after `Retry-After` seconds.",
  },
  SWIFTLET_ERR_NO_SUBSCRIBERS: {
    fault: 'user',
    retryable: true,
    httpStatus: 409,
    doc: 'A broadcast found no subscriber to receive it (none running, or none matching its filter); nothing was recorded.',
  },
  SWIFTLET_ERR_TASK_NOT_HELD: {
    fault: 'system',
    retryable: false,
    httpStatus: 409,
    doc: 'A consumer reported on a task it no longer holds: the task was canceled, passed its deadline, or its lease lapsed and it went to another consumer. The report was not recorded.',
  },
  SWIFTLET_ERR_DEADLINE_EXCEEDED: {
    fault: 'system',
    retryable: false,
    httpStatus: 504,
    doc: "A task's deadline passed before it finished: it ended as failed and its consumer was canceled.",
  },
  SWIFTLET_ERR_ATTEMPTS_EXHAUSTED: {
    fault: 'system',
    retryable: false,
    httpStatus: 500,
    doc: 'A task was claimed `maxAttempts` times without finishing (each consumer died or let its lease lapse); it ended as failed.',
  },
  SWIFTLET_ERR_MAX_STEPS: {
    fault: 'model',
    retryable: false,
    httpStatus: 500,
    doc: "A task's turn stopped at its agent's `maxSteps` before a final answer; the task ended as failed.",
  },
  SWIFTLET_ERR_DELEGATION_REFUSED: {
    fault: 'model',
    retryable: false,
    httpStatus: 400,
    doc: 'The `delegate` tool refused a hand-off: it would pass `maxDepth`, `maxTasksPerTurn`, or return to an agent already in the chain (A→B→A).',
  },
  SWIFTLET_ERR_UNKNOWN_COMMAND: {
    fault: 'user',
    retryable: false,
    httpStatus: 400,
    doc: 'The CLI was given a command it does not have (`swiftlet --help` lists them). Exit code 2.',
  },
  SWIFTLET_ERR_PORT_IN_USE: {
    fault: 'system',
    retryable: false,
    httpStatus: 500,
    doc: '`swiftlet serve` (or `swiftlet mock-llm`) could not listen: another process holds the port. Pick another with `--port`, or stop that process.',
  },
  SWIFTLET_ERR_INTERNAL: {
    fault: 'system',
    retryable: false,
    httpStatus: 500,
    doc: 'A bug. Please report it with the log line.',
  },
} as const satisfies Record<string, ErrorCodeInfo>;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface SwiftletErrorOptions {
  cause?: unknown;
  /** Overrides the code's default retry classification (a provider 503 is retryable, a 400 is not). */
  retryable?: boolean;
  /** For input errors: the path of the offending field, e.g. `agents.support.tools[2].timeout`. */
  field?: string;
  /** For provider errors: the HTTP status, headers and body the provider sent. */
  status?: number;
  headers?: Record<string, string>;
  body?: string;
  /** Milliseconds the caller should wait before retrying (from `Retry-After`, or a queue estimate). */
  retryAfterMs?: number;
  /** Further problems, when one error reports several (config validation reports every issue). */
  issues?: readonly { path: string; message: string }[];
}

export class SwiftletError extends Error {
  readonly code: ErrorCode;
  readonly fault: ErrorFault;
  readonly retryable: boolean;
  readonly httpStatus: number;
  readonly field: string | undefined;
  readonly status: number | undefined;
  readonly headers: Record<string, string> | undefined;
  readonly body: string | undefined;
  readonly retryAfterMs: number | undefined;
  readonly issues: readonly { path: string; message: string }[] | undefined;

  constructor(code: ErrorCode, message: string, options: SwiftletErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    const info = ERROR_CODES[code];
    this.name = 'SwiftletError';
    this.code = code;
    this.fault = info.fault;
    this.retryable = options.retryable ?? info.retryable;
    this.httpStatus = info.httpStatus;
    this.field = options.field;
    this.status = options.status;
    this.headers = options.headers;
    this.body = options.body;
    this.retryAfterMs = options.retryAfterMs;
    this.issues = options.issues;
  }

  get [BRAND](): true {
    return true;
  }

  /** True for any SwiftletError, even one created by a second copy of this package. */
  static isInstance(value: unknown): value is SwiftletError {
    return typeof value === 'object' && value !== null && (value as { [BRAND]?: unknown })[BRAND] === true;
  }

  toJSON(): {
    code: ErrorCode;
    message: string;
    field?: string;
    issues?: readonly { path: string; message: string }[];
  } {
    return {
      code: this.code,
      message: this.message,
      ...(this.field === undefined ? {} : { field: this.field }),
      ...(this.issues === undefined ? {} : { issues: this.issues }),
    };
  }
}

/** Wraps anything thrown into a SwiftletError, keeping SwiftletErrors as they are. */
export function toSwiftletError(err: unknown, fallback: ErrorCode = 'SWIFTLET_ERR_INTERNAL'): SwiftletError {
  if (SwiftletError.isInstance(err)) return err;
  if (err instanceof Error && err.name === 'AbortError') {
    return new SwiftletError('SWIFTLET_ERR_ABORTED', 'the operation was aborted', { cause: err });
  }
  const message = err instanceof Error ? err.message : String(err);
  return new SwiftletError(fallback, message, { cause: err });
}

export function abortError(signal?: AbortSignal): SwiftletError {
  const reason: unknown = signal?.reason;
  if (SwiftletError.isInstance(reason)) return reason;
  return new SwiftletError('SWIFTLET_ERR_ABORTED', 'the operation was aborted', { cause: reason });
}
