// Public shapes of the mock LLM server. The server speaks the providers' real wire formats so that the adapters,
// the gateway and the benchmark exercise the same bytes they would see from OpenAI or Anthropic.

export interface MockToolCallSpec {
  name: string;
  /** A JSON string is sent as is (it may be deliberately invalid); an object is serialised. */
  arguments: string | Record<string, unknown>;
}

export interface MockReply {
  text?: string;
  toolCalls?: MockToolCallSpec[];
}

export type MockFault =
  | { kind: 'status'; status: number; retryAfterSec?: number; body?: string }
  | { kind: 'hang' }
  | { kind: 'stall'; afterTokens: number }
  | { kind: 'disconnect'; afterTokens: number };

export interface MockLlmOptions {
  host?: string;
  port?: number;
  /** Delay before the first token, or before a non-stream answer. */
  firstTokenMs?: number;
  /** Delay between streamed tokens. */
  tokenDelayMs?: number;
  /** Length of the default text reply in tokens (words); the `Mock reply to: "…"` prefix is never cut. */
  outputTokens?: number;
  /** Reply for step k of a turn, k = number of assistant messages after the last user message. */
  script?: MockReply[];
  /** A queue: each valid model request takes the next fault, if any. */
  faults?: MockFault[];
  /**
   * Request bodies the request log keeps, in characters, all records together (default 32 MiB); past it the oldest
   * records lose their `body`. Set when the mock starts.
   */
  maxLoggedBodyBytes?: number;
}

export type MockRequestFormat = 'openai-chat' | 'openai-responses' | 'anthropic' | 'models' | 'embeddings' | 'other';

export interface MockRequestRecord {
  id: number;
  path: string;
  format: MockRequestFormat;
  model?: string;
  stream: boolean;
  /** The parsed request (the raw text when it was not JSON); absent once the log dropped it (maxLoggedBodyBytes). */
  body?: unknown;
  startedAt: number;
  endedAt?: number;
  status?: number;
  /** True when the client closed the connection before the answer was complete. */
  clientClosed: boolean;
  fault?: MockFault['kind'];
}

export interface MockLlm {
  /** `http://127.0.0.1:PORT`: OpenAI base URL is `${url}/v1`, Anthropic base URL is `url`. */
  readonly url: string;
  readonly port: number;
  /** The last 10,000 requests (control API calls excluded); only the newest keep their bodies, see maxLoggedBodyBytes. */
  readonly requests: readonly MockRequestRecord[];
  /** Characters of request bodies the request log holds now. */
  readonly loggedBodyBytes: number;
  /** Requests to a model endpoint (chat, responses, messages) since start or the last reset. */
  readonly requestCount: number;
  /** Changes the given knobs; `faults` replaces the queue. */
  configure(options: Partial<Omit<MockLlmOptions, 'host' | 'port' | 'maxLoggedBodyBytes'>>): void;
  /** Appends to the fault queue. */
  injectFault(...faults: MockFault[]): void;
  /** Resolves with the first record (existing or future, re-checked on every update) matching; rejects after timeoutMs (default 5000). */
  waitFor(predicate: (r: MockRequestRecord) => boolean, timeoutMs?: number): Promise<MockRequestRecord>;
  /** Clears the log, counters and faults; the knobs stay. */
  reset(): void;
  /** Closes the server and every open socket. */
  close(): Promise<void>;
}
