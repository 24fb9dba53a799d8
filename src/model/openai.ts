// ModelClient for OpenAI-compatible Chat Completions endpoints (OpenAI, Ollama, vLLM, llama.cpp, OpenRouter, …).
import type { ModelEvent, ModelRequest } from '../core/index.js';
import { JsonDecoder } from './decoder.js';
import { ProviderHttp } from './http.js';
import { OpenAiStreamDecoder } from './openai-stream.js';
import { openAiBodyText, openAiCompletionEvents } from './openai-wire.js';
import type { ModelClient, ProviderOptions } from './types.js';

export class OpenAiClient implements ModelClient {
  readonly provider: string;
  readonly #http: ProviderHttp;
  readonly #path: string;
  // Built once: every request of this client sends the same headers.
  readonly #streamHeaders: Record<string, string>;
  readonly #jsonHeaders: Record<string, string>;

  constructor(options: ProviderOptions) {
    this.provider = options.name;
    this.#http = new ProviderHttp(options);
    this.#path = this.#http.path('/chat/completions');
    const common: Record<string, string> = {
      'content-type': 'application/json',
      ...(options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {}),
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
      body: openAiBodyText(request, stream),
      model: request.model,
      stream,
    };
    return this.#http.send(call, signal, () =>
      stream
        ? new OpenAiStreamDecoder(provider)
        : new JsonDecoder(provider, (json) => openAiCompletionEvents(provider, json)),
    );
  }

  close(): Promise<void> {
    return this.#http.close();
  }
}
