// The Anthropic Messages wire format: request bodies, and non-streamed answers mapped to model events.
import type { FinishReason, ModelEvent, ModelMessage, ModelRequest } from '../core/index.js';
import { badAnswer, providerAnswerError } from './decoder.js';

/** Anthropic requires `max_tokens`; used when the request does not say. */
export const DEFAULT_MAX_TOKENS = 4096;

type Block =
  | { type: 'text'; text: string }
  | { type: 'tool_use'; id: string; name: string; input: object }
  | { type: 'tool_result'; tool_use_id: string; content: string; is_error?: true };

interface WireMessage {
  role: 'user' | 'assistant';
  content: string | Block[];
}

/** `tool_use.input` must be an object; arguments the model got wrong are sent back as `{}`. */
function toolInput(args: string): object {
  try {
    const value: unknown = JSON.parse(args);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? value : {};
  } catch {
    return {};
  }
}

function assistantBlocks(message: Extract<ModelMessage, { role: 'assistant' }>): Block[] {
  const blocks: Block[] = [];
  // Anthropic rejects empty text blocks.
  if (message.content !== '') blocks.push({ type: 'text', text: message.content });
  for (const call of message.toolCalls ?? []) {
    blocks.push({ type: 'tool_use', id: call.id, name: call.name, input: toolInput(call.arguments) });
  }
  return blocks;
}

function toWire(messages: readonly ModelMessage[]): WireMessage[] {
  const out: WireMessage[] = [];
  for (const m of messages) {
    if (m.role === 'user') {
      out.push({ role: 'user', content: m.content });
    } else if (m.role === 'assistant') {
      const blocks = assistantBlocks(m);
      if (blocks.length > 0) out.push({ role: 'assistant', content: blocks });
    } else {
      const block: Block = {
        type: 'tool_result',
        tool_use_id: m.callId,
        content: m.content,
        ...(m.isError ? { is_error: true as const } : {}),
      };
      // All results answering one assistant message travel in a single user message.
      const last = out[out.length - 1];
      const lastBlock = last !== undefined && Array.isArray(last.content) ? last.content[0] : undefined;
      if (last?.role === 'user' && lastBlock?.type === 'tool_result') (last.content as Block[]).push(block);
      else out.push({ role: 'user', content: [block] });
    }
  }
  return out;
}

export function anthropicBody(request: ModelRequest, stream: boolean): Record<string, unknown> {
  const body: Record<string, unknown> = {
    model: request.model,
    max_tokens: request.maxTokens ?? DEFAULT_MAX_TOKENS,
    messages: toWire(request.messages),
    stream,
  };
  if (request.system !== undefined && request.system !== '') body.system = request.system;
  if (request.tools !== undefined && request.tools.length > 0) {
    body.tools = request.tools.map((t) => ({ name: t.name, description: t.description, input_schema: t.parameters }));
  }
  if (request.temperature !== undefined) body.temperature = request.temperature;
  return body;
}

export function anthropicFinishReason(reason: unknown): FinishReason {
  switch (reason) {
    case 'end_turn':
    case 'stop_sequence':
      return 'stop';
    case 'tool_use':
      return 'tool_calls';
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length';
    case 'refusal':
      return 'content_filter';
    default:
      return 'other';
  }
}

export interface WireUsage {
  input_tokens?: number;
  output_tokens?: number;
  cache_creation_input_tokens?: number | null;
  cache_read_input_tokens?: number | null;
}

/** Input tokens counted the way OpenAI counts them: cached prompt tokens included. */
export function inputTokens(usage: WireUsage): number {
  return (usage.input_tokens ?? 0) + (usage.cache_creation_input_tokens ?? 0) + (usage.cache_read_input_tokens ?? 0);
}

interface WireAnswer {
  type?: string;
  error?: { message?: string };
  content?: { type: string; text?: string; id?: string; name?: string; input?: unknown }[];
  stop_reason?: string | null;
  usage?: WireUsage;
}

/** Maps a non-streamed `message` to the events a stream of it would have produced. */
export function anthropicMessageEvents(provider: string, json: unknown): ModelEvent[] {
  const answer = json as WireAnswer;
  if (answer.type === 'error') throw providerAnswerError(provider, answer.error);
  if (!Array.isArray(answer.content)) throw badAnswer(provider, 'answer has no content');
  const events: ModelEvent[] = [];
  for (const block of answer.content) {
    if (block.type === 'text' && block.text) events.push({ type: 'text-delta', text: block.text });
    if (block.type === 'tool_use') {
      const call = { id: block.id ?? '', name: block.name ?? '', arguments: JSON.stringify(block.input ?? {}) };
      events.push({ type: 'tool-call', call });
    }
  }
  if (answer.usage !== undefined) {
    const usage = { inputTokens: inputTokens(answer.usage), outputTokens: answer.usage.output_tokens ?? 0 };
    events.push({ type: 'usage', usage });
  }
  events.push({ type: 'finish', reason: anthropicFinishReason(answer.stop_reason) });
  return events;
}
