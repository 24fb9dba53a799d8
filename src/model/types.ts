import type { ModelEvent, ModelRequest } from '../core/index.js';

/**
 * One client per configured provider, shared by every session and agent using it.
 * `stream` yields text deltas, tool calls, usage, and exactly one `finish` as the last event of a successful answer;
 * on failure the iterator throws a SwiftletError. Aborting `signal` cancels the HTTP request at once.
 */
export interface ModelClient {
  readonly provider: string;
  stream(request: ModelRequest, signal: AbortSignal): AsyncIterable<ModelEvent>;
  close(): Promise<void>;
}

export interface ProviderTimeouts {
  /** TCP/TLS connect. */
  connectMs: number;
  /** From sending the request to the first byte of the answer body (first token when streaming). */
  firstTokenMs: number;
  /** Longest silence between two chunks of a streamed answer. */
  idleMs: number;
  /** The whole request, retries excluded. */
  totalMs: number;
}

export interface ProviderRetries {
  /** Retries after the first attempt (0 = no retry). */
  max: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export interface ProviderOptions {
  /** The provider's name in the config (`openai`, `local`, …); agents refer to models as `name/model`. */
  name: string;
  type: 'openai' | 'anthropic';
  /** e.g. `https://api.openai.com/v1`, `http://127.0.0.1:11434/v1`, `https://api.anthropic.com`. */
  baseUrl: string;
  apiKey?: string;
  headers?: Record<string, string>;
  timeouts: ProviderTimeouts;
  retries: ProviderRetries;
  maxConnections: number;
}
