// The Anthropic Messages API (`POST {baseUrl}/v1/messages`).
import { AnthropicStreamDecoder } from './anthropic-stream.js';
import { anthropicBody, anthropicMessageEvents } from './anthropic-wire.js';
import type { Wire } from './client.js';

export const ANTHROPIC_VERSION = '2023-06-01';

export const ANTHROPIC_WIRE: Wire = {
  path: '/v1/messages',
  headers: (options) => ({
    'anthropic-version': ANTHROPIC_VERSION,
    ...(options.apiKey ? { 'x-api-key': options.apiKey } : {}),
  }),
  body: (request, stream) => JSON.stringify(anthropicBody(request, stream)),
  streamDecoder: (provider) => new AnthropicStreamDecoder(provider),
  answerEvents: anthropicMessageEvents,
};
