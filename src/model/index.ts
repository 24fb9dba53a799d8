// The model folder's public face: the ModelClient port, the provider adapters behind it, and the mock LLM.
import { ANTHROPIC_WIRE } from './anthropic.js';
import { WireClient } from './client.js';
import { OPENAI_WIRE } from './openai.js';
import type { ModelClient, ProviderOptions } from './types.js';

export * from './types.js';
export * from './mock/index.js';
export { WireClient, type Wire } from './client.js';
export { SseParser } from './sse.js';
export type { SseEvent } from './sse.js';
export { modelRequestChannel, modelResponseChannel } from './diagnostics.js';
export type { ModelRequestMessage, ModelResponseMessage } from './diagnostics.js';

/** One client per configured provider; it owns a connection pool until `close()`. */
export function createModelClient(options: ProviderOptions): ModelClient {
  switch (options.type) {
    case 'openai':
      return new WireClient(options, OPENAI_WIRE);
    case 'anthropic':
      return new WireClient(options, ANTHROPIC_WIRE);
  }
}
