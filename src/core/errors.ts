// One error module for all of Swiftlet. Every error carries a stable code, whose fault it is, and whether a retry may
// help. Codes are documented in docs/errors.md (a test keeps the two in step).

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

export const ERROR_CODES = {
  SWIFTLET_ERR_CONFIG_INVALID: { fault: 'user', retryable: false, httpStatus: 400 },
  SWIFTLET_ERR_CONFIG_NOT_FOUND: { fault: 'user', retryable: false, httpStatus: 400 },
  SWIFTLET_ERR_MISSING_API_KEY: { fault: 'user', retryable: false, httpStatus: 500 },
  SWIFTLET_ERR_INVALID_INPUT: { fault: 'user', retryable: false, httpStatus: 400 },
  SWIFTLET_ERR_AGENT_NOT_FOUND: { fault: 'user', retryable: false, httpStatus: 404 },
  SWIFTLET_ERR_SESSION_NOT_FOUND: { fault: 'user', retryable: false, httpStatus: 404 },
  SWIFTLET_ERR_SESSION_AGENT_MISMATCH: { fault: 'user', retryable: false, httpStatus: 409 },
  SWIFTLET_ERR_SESSION_BUSY: { fault: 'user', retryable: true, httpStatus: 429 },
  SWIFTLET_ERR_ABORTED: { fault: 'user', retryable: false, httpStatus: 499 },
  SWIFTLET_ERR_MODEL_HTTP: { fault: 'system', retryable: false, httpStatus: 502 },
  SWIFTLET_ERR_MODEL_CONNECT: { fault: 'system', retryable: true, httpStatus: 502 },
  SWIFTLET_ERR_MODEL_TIMEOUT: { fault: 'system', retryable: true, httpStatus: 504 },
  SWIFTLET_ERR_MODEL_RESPONSE: { fault: 'model', retryable: false, httpStatus: 502 },
  SWIFTLET_ERR_TOOL_NOT_FOUND: { fault: 'model', retryable: false, httpStatus: 500 },
  SWIFTLET_ERR_TOOL_INVALID_ARGS: { fault: 'model', retryable: false, httpStatus: 500 },
  SWIFTLET_ERR_TOOL_TIMEOUT: { fault: 'system', retryable: true, httpStatus: 504 },
  SWIFTLET_ERR_TOOL_FAILED: { fault: 'system', retryable: false, httpStatus: 500 },
  SWIFTLET_ERR_TOOL_DENIED: { fault: 'model', retryable: false, httpStatus: 403 },
  SWIFTLET_ERR_OUTPUT_TOO_LARGE: { fault: 'model', retryable: false, httpStatus: 502 },
  SWIFTLET_ERR_STORE: { fault: 'system', retryable: true, httpStatus: 503 },
  SWIFTLET_ERR_STORE_SCHEMA: { fault: 'system', retryable: false, httpStatus: 500 },
  SWIFTLET_ERR_SHUTTING_DOWN: { fault: 'system', retryable: true, httpStatus: 503 },
  SWIFTLET_ERR_UNAUTHORIZED: { fault: 'user', retryable: false, httpStatus: 401 },
  SWIFTLET_ERR_FORBIDDEN: { fault: 'user', retryable: false, httpStatus: 403 },
  SWIFTLET_ERR_NOT_FOUND: { fault: 'user', retryable: false, httpStatus: 404 },
  SWIFTLET_ERR_METHOD_NOT_ALLOWED: { fault: 'user', retryable: false, httpStatus: 405 },
  SWIFTLET_ERR_PAYLOAD_TOO_LARGE: { fault: 'user', retryable: false, httpStatus: 413 },
  SWIFTLET_ERR_REQUEST_TIMEOUT: { fault: 'user', retryable: true, httpStatus: 408 },
  SWIFTLET_ERR_HEADERS_TOO_LARGE: { fault: 'user', retryable: false, httpStatus: 431 },
  SWIFTLET_ERR_URL_TOO_LONG: { fault: 'user', retryable: false, httpStatus: 414 },
  SWIFTLET_ERR_HOST_NOT_ALLOWED: { fault: 'user', retryable: false, httpStatus: 421 },
  SWIFTLET_ERR_UNSUPPORTED_MEDIA_TYPE: { fault: 'user', retryable: false, httpStatus: 415 },
  SWIFTLET_ERR_RATE_LIMITED: { fault: 'user', retryable: true, httpStatus: 429 },
  SWIFTLET_ERR_OVERLOADED: { fault: 'system', retryable: true, httpStatus: 429 },
  SWIFTLET_ERR_INTERNAL: { fault: 'system', retryable: false, httpStatus: 500 },
} as const satisfies Record<string, Omit<ErrorInfo, 'message'>>;

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
