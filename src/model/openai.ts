// OpenAI-compatible Chat Completions endpoints (OpenAI, Ollama, vLLM, llama.cpp, OpenRouter, …).
import type { Wire } from './client.js';
import { OpenAiStreamDecoder } from './openai-stream.js';
import { openAiBodyText, openAiCompletionEvents } from './openai-wire.js';

export const OPENAI_WIRE: Wire = {
  path: '/chat/completions',
  headers: (options) => (options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {}),
  body: openAiBodyText,
  streamDecoder: (provider) => new OpenAiStreamDecoder(provider),
  answerEvents: openAiCompletionEvents,
};
