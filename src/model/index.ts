// The model folder's public face: the ModelClient port, the provider adapters behind it, and the mock LLM.
import { AnthropicClient } from './anthropic.js';
import { OpenAiClient } from './openai.js';
import type { ModelClient, ProviderOptions } from './types.js';

export * from './types.js';
export * from './mock/index.js';
export { AnthropicClient } from './anthropic.js';
export { OpenAiClient } from './openai.js';
export { SseParser } from './sse.js';
export type { SseEvent } from './sse.js';
export { modelRequestChannel, modelResponseChannel } from './diagnostics.js';
export type { ModelRequestMessage, ModelResponseMessage } from './diagnostics.js';

/** One client per configured provider; it owns a connection pool until `close()`. */
export function createModelClient(options: ProviderOptions): ModelClient {
  switch (options.type) {
    case 'openai':
      return new OpenAiClient(options);
    case 'anthropic':
      return new AnthropicClient(options);
  }
}
