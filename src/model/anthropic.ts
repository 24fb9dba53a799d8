// ModelClient for the Anthropic Messages API (`POST {baseUrl}/v1/messages`).
import type { ModelEvent, ModelRequest } from '../core/index.js';
import { AnthropicStreamDecoder } from './anthropic-stream.js';
import { anthropicBody, anthropicMessageEvents } from './anthropic-wire.js';
import { JsonDecoder } from './decoder.js';
import { ProviderHttp } from './http.js';
import type { ModelClient, ProviderOptions } from './types.js';

export const ANTHROPIC_VERSION = '2023-06-01';

export class AnthropicClient implements ModelClient {
  readonly provider: string;
  readonly #http: ProviderHttp;
  readonly #path: string;
  readonly #streamHeaders: Record<string, string>;
  readonly #jsonHeaders: Record<string, string>;

  constructor(options: ProviderOptions) {
    this.provider = options.name;
    this.#http = new ProviderHttp(options);
    this.#path = this.#http.path('/v1/messages');
    const common: Record<string, string> = {
      'content-type': 'application/json',
      'anthropic-version': ANTHROPIC_VERSION,
      ...(options.apiKey ? { 'x-api-key': options.apiKey } : {}),
      ...options.headers,
    };
    this.#streamHeaders = { accept: 'text/event-stream', ...common };
    this.#jsonHeaders = { accept: 'application/json', ...common };
  }

  stream(request: ModelRequest, signal: AbortSignal): AsyncIterable<ModelEvent> {
    const stream = request.stream !== false;
    const provider = this.provider;
    const call = {
      path: this.#path,
      headers: stream ? this.#streamHeaders : this.#jsonHeaders,
      body: JSON.stringify(anthropicBody(request, stream)),
      model: request.model,
      stream,
    };
    return this.#http.send(call, signal, () =>
      stream
        ? new AnthropicStreamDecoder(provider)
        : new JsonDecoder(provider, (json) => anthropicMessageEvents(provider, json)),
    );
  }

  close(): Promise<void> {
    return this.#http.close();
  }
}
