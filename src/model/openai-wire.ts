// The OpenAI Chat Completions wire format: request bodies, and non-streamed answers mapped to model events.
// Kept loose on input: Ollama, vLLM, llama.cpp and OpenRouter each omit or add fields here and there.
import { newId } from '../core/index.js';
import type { FinishReason, ModelEvent, ModelMessage, ModelRequest, ToolCall, ToolSpec } from '../core/index.js';
import { argumentsText, badAnswer, providerAnswerError, withToolCalls } from './decoder.js';

type WireMessage =
  | { role: 'system' | 'user'; content: string }
  | { role: 'assistant'; content: string | null; tool_calls?: WireToolCall[] }
  | { role: 'tool'; tool_call_id: string; content: string };

interface WireToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

export interface WireUsage {
  prompt_tokens?: number;
  completion_tokens?: number;
}

function toWire(message: ModelMessage): WireMessage {
  switch (message.role) {
    case 'user':
      return { role: 'user', content: message.content };
    case 'tool':
      return { role: 'tool', tool_call_id: message.callId, content: message.content };
    case 'assistant': {
      const calls = message.toolCalls;
      if (calls === undefined || calls.length === 0) return { role: 'assistant', content: message.content };
      return {
        role: 'assistant',
        // OpenAI wants null, not '', beside tool calls.
        content: message.content === '' ? null : message.content,
        tool_calls: calls.map((c) => ({
          id: c.id,
          type: 'function',
          function: { name: c.name, arguments: c.arguments },
        })),
      };
    }
  }
}

const q = JSON.stringify;

/**
 * `JSON.stringify(toWire(message))`, written out for the known shapes: no wire object to build, no generic walk of
 * one. Anything unexpected (a field that is not a string) goes the generic way.
 */
function wireJson(message: ModelMessage): string {
  switch (message.role) {
    case 'user':
      if (typeof message.content === 'string') return `{"role":"user","content":${q(message.content)}}`;
      break;
    case 'tool':
      if (typeof message.callId === 'string' && typeof message.content === 'string') {
        return `{"role":"tool","tool_call_id":${q(message.callId)},"content":${q(message.content)}}`;
      }
      break;
    case 'assistant': {
      const { content, toolCalls } = message;
      if (typeof content !== 'string') break;
      if (toolCalls === undefined || toolCalls.length === 0) return `{"role":"assistant","content":${q(content)}}`;
      let calls = '';
      for (const c of toolCalls) {
        if (typeof c.id !== 'string' || typeof c.name !== 'string' || typeof c.arguments !== 'string') {
          return q(toWire(message));
        }
        if (calls !== '') calls += ',';
        calls += `{"id":${q(c.id)},"type":"function","function":{"name":${q(c.name)},"arguments":${q(c.arguments)}}}`;
      }
      return `{"role":"assistant","content":${content === '' ? 'null' : q(content)},"tool_calls":[${calls}]}`;
    }
  }
  return q(toWire(message));
}

export function openAiBody(request: ModelRequest, stream: boolean): Record<string, unknown> {
  const messages: WireMessage[] = [];
  if (request.system !== undefined && request.system !== '') messages.push({ role: 'system', content: request.system });
  for (const m of request.messages) messages.push(toWire(m));
  const body: Record<string, unknown> = { model: request.model, messages, stream };
  if (stream) body.stream_options = { include_usage: true };
  if (request.tools !== undefined && request.tools.length > 0) body.tools = wireTools(request.tools);
  if (request.temperature !== undefined) body.temperature = request.temperature;
  if (request.maxTokens !== undefined) body.max_tokens = request.maxTokens;
  return body;
}

function wireTools(tools: readonly ToolSpec[]): object[] {
  return tools.map((t) => ({
    type: 'function',
    function: { name: t.name, description: t.description, parameters: t.parameters },
  }));
}

/** An agent's tool list is one frozen array for all its calls: a WeakMap with one key per agent. */
const toolsJson = new WeakMap<readonly ToolSpec[], string>();

function toolsText(tools: readonly ToolSpec[]): string {
  let json = toolsJson.get(tools);
  if (json === undefined) {
    json = JSON.stringify(wireTools(tools));
    toolsJson.set(tools, json);
  }
  return json;
}

/** The JSON of some leading messages of a request's message array, as sent by the previous call with it. */
interface SentMessages {
  array: readonly ModelMessage[];
  /** The message objects whose JSON `json` holds, in order. */
  sent: ModelMessage[];
  json: string;
}

// An agent sends the same request object with every step of a turn, its messages growing: the JSON of the messages
// already sent is kept on the request (a non-enumerable symbol property, invisible to spreads, JSON and clones) and
// only new messages are serialised. It lives as long as the request, so nothing outlives the turn. Messages are
// values: one changed in place after it was sent is not noticed, one replaced by another object is.
const SENT = Symbol('swiftlet.openai.sent');

interface SentHolder {
  [SENT]?: SentMessages;
}

function messagesJson(request: ModelRequest): string {
  const messages = request.messages;
  const prior = (request as SentHolder)[SENT];
  let json = '';
  let from = 0;
  if (prior !== undefined && prior.array === messages && prior.sent.length <= messages.length) {
    const sent = prior.sent;
    let same = true;
    for (let i = 0; i < sent.length && same; i++) same = sent[i] === messages[i];
    if (same) {
      json = prior.json;
      from = sent.length;
    }
  }
  for (let i = from; i < messages.length; i++) {
    const one = wireJson(messages[i]!);
    json = i === 0 ? one : `${json},${one}`;
  }
  if (from < messages.length && Object.isExtensible(request)) {
    const entry: SentMessages = { array: messages, sent: messages.slice(), json };
    Object.defineProperty(request, SENT, { value: entry, writable: true, configurable: true });
  }
  return json;
}

/** `JSON.stringify(openAiBody(request, stream))`, the same text, reusing what the request's last call sent. */
export function openAiBodyText(request: ModelRequest, stream: boolean): string {
  let out = `{"model":${JSON.stringify(request.model)},"messages":[`;
  const messages = messagesJson(request);
  if (request.system !== undefined && request.system !== '') {
    out += `{"role":"system","content":${JSON.stringify(request.system)}}`;
    if (messages !== '') out += ',';
  }
  out += messages;
  out += stream ? '],"stream":true,"stream_options":{"include_usage":true}' : '],"stream":false';
  const tools = request.tools;
  if (tools !== undefined && tools.length > 0) out += `,"tools":${toolsText(tools)}`;
  if (request.temperature !== undefined) out += `,"temperature":${JSON.stringify(request.temperature)}`;
  if (request.maxTokens !== undefined) out += `,"max_tokens":${JSON.stringify(request.maxTokens)}`;
  return out + '}';
}

export function openAiFinishReason(reason: unknown): FinishReason {
  switch (reason) {
    case 'stop':
      return 'stop';
    case 'tool_calls':
    case 'function_call':
      return 'tool_calls';
    case 'length':
      return 'length';
    case 'content_filter':
      return 'content_filter';
    default:
      return 'other';
  }
}

export function openAiUsage(usage: WireUsage): ModelEvent {
  return {
    type: 'usage',
    usage: { inputTokens: usage.prompt_tokens ?? 0, outputTokens: usage.completion_tokens ?? 0 },
  };
}

interface WireCompletion {
  error?: { message?: string };
  choices?: {
    message?: { content?: string | null; tool_calls?: Partial<WireToolCall>[] };
    finish_reason?: string | null;
  }[];
  usage?: WireUsage | null;
}

/** Maps a non-streamed `chat.completion` to the events a stream of it would have produced. */
export function openAiCompletionEvents(provider: string, json: unknown): ModelEvent[] {
  const completion = json as WireCompletion;
  if (completion.error !== undefined) throw providerAnswerError(provider, completion.error);
  const choice = completion.choices?.[0];
  if (choice === undefined) throw badAnswer(provider, 'answer has no choices');
  const events: ModelEvent[] = [];
  const content = choice.message?.content;
  if (typeof content === 'string' && content !== '') events.push({ type: 'text-delta', text: content });
  const calls = choice.message?.tool_calls ?? [];
  for (const wire of calls) {
    const call: ToolCall = {
      id: wire.id ?? newId('call'),
      name: wire.function?.name ?? '',
      arguments: argumentsText(wire.function?.arguments ?? ''),
    };
    events.push({ type: 'tool-call', call });
  }
  if (completion.usage) events.push(openAiUsage(completion.usage));
  events.push({ type: 'finish', reason: withToolCalls(openAiFinishReason(choice.finish_reason), calls.length) });
  return events;
}
