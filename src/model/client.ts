// One ModelClient over a provider's wire description: the HTTP layer, timeouts, retries and decoding are shared; what
// differs between OpenAI-compatible and Anthropic endpoints is only the path, the auth headers, the body and the
// decoders.
import type { ModelEvent, ModelRequest } from '../core/index.js';
import { JsonDecoder, type Decoder } from './decoder.js';
import { ProviderHttp } from './http.js';
import type { ModelClient, ProviderOptions } from './types.js';

export interface Wire {
  /** Path under the provider's base URL, e.g. `/chat/completions`. */
  path: string;
  /** Headers of every request besides content type and accept (auth, version). */
  headers(options: ProviderOptions): Record<string, string>;
  body(request: ModelRequest, stream: boolean): string;
  streamDecoder(provider: string): Decoder;
  /** Events of a whole (non-streamed) answer. */
  answerEvents(provider: string, json: unknown): ModelEvent[];
}

export class WireClient implements ModelClient {
  readonly provider: string;
  readonly #wire: Wire;
  readonly #http: ProviderHttp;
  readonly #path: string;
  // Built once: every request of this client sends the same headers.
  readonly #streamHeaders: Record<string, string>;
  readonly #jsonHeaders: Record<string, string>;

  constructor(options: ProviderOptions, wire: Wire) {
    this.provider = options.name;
    this.#wire = wire;
    this.#http = new ProviderHttp(options);
    this.#path = this.#http.path(wire.path);
    const common = { 'content-type': 'application/json', ...wire.headers(options), ...options.headers };
    this.#streamHeaders = { accept: 'text/event-stream', ...common };
    this.#jsonHeaders = { accept: 'application/json', ...common };
  }

  stream(request: ModelRequest, signal: AbortSignal): AsyncIterable<ModelEvent> {
    const stream = request.stream !== false;
    const provider = this.provider;
    const wire = this.#wire;
    const call = {
      path: this.#path,
      headers: stream ? this.#streamHeaders : this.#jsonHeaders,
      body: wire.body(request, stream),
      model: request.model,
      stream,
    };
    return this.#http.send(call, signal, () =>
      stream ? wire.streamDecoder(provider) : new JsonDecoder(provider, (json) => wire.answerEvents(provider, json)),
    );
  }

  close(): Promise<void> {
    return this.#http.close();
  }
}
