// The mock LLM server: OpenAI Chat Completions, OpenAI Responses, Anthropic Messages, models and embeddings over real
// HTTP, deterministic, with scripted replies, delays and injectable faults.
export type {
  MockFault,
  MockLlm,
  MockLlmOptions,
  MockReply,
  MockRequestFormat,
  MockRequestRecord,
  MockToolCallSpec,
} from './types.js';
export { startMockLlm } from './server.js';
export {
  parseFaults as parseMockFaults,
  parseKnobs as parseMockOptions,
  parseScript as parseMockScript,
} from './validate.js';
