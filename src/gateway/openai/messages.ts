// Chat Completions `messages` → the input of a turn and, for stateless requests, its history as session-log entries.
import { ENTRY_VERSION, newId, type Entry, type EntryData, type ToolCall } from '../../core/index.js';
import { contentText, invalid, isObject } from './request.js';

const TEXT_PARTS = ['text'] as const;

export interface ChatInput {
  /** Text of the last message, which must be a user message. */
  input: string;
  /** Every earlier message as entries; used only when the request names no session. */
  history: Entry[];
}

export function parseMessages(value: unknown): ChatInput {
  if (!Array.isArray(value) || value.length === 0) throw invalid('messages', 'expected a non-empty array');
  const history: Entry[] = [];
  const toolNames = new Map<string, string>();
  const at = Date.now();
  let turnId = newId('turn');
  const push = (data: EntryData): void => {
    history.push({ ...data, v: ENTRY_VERSION, turnId, at, seq: history.length + 1 } as Entry);
  };
  const last = value.length - 1;
  for (let i = 0; i < last; i++) {
    const data = toEntry(value[i], `messages[${i}]`, toolNames);
    if (data.type === 'user' && i > 0) turnId = newId('turn');
    push(data);
  }
  const final: unknown = value[last];
  const field = `messages[${last}]`;
  if (!isObject(final) || final.role !== 'user') {
    throw invalid(`${field}.role`, 'the last message must be a user message: it is the input of the turn');
  }
  const input = contentText(final.content, `${field}.content`, TEXT_PARTS);
  if (input === '') throw invalid(`${field}.content`, 'the input must not be empty');
  return { input, history };
}

/**
 * One earlier message as an entry. System and developer messages become user entries at their place: the agent's own
 * instructions stay the system prompt, and what a client adds is context the model reads with the conversation.
 */
function toEntry(message: unknown, field: string, toolNames: Map<string, string>): EntryData {
  if (!isObject(message)) throw invalid(field, 'expected a message object');
  const content = (): string => contentText(message.content, `${field}.content`, TEXT_PARTS);
  switch (message.role) {
    case 'system':
    case 'developer':
    case 'user':
      return { type: 'user', text: content() };
    case 'assistant': {
      const calls = toolCalls(message.tool_calls, `${field}.tool_calls`);
      for (const call of calls) toolNames.set(call.id, call.name);
      return { type: 'assistant', text: content(), ...(calls.length > 0 ? { toolCalls: calls } : {}) };
    }
    case 'tool': {
      const callId = message.tool_call_id;
      if (typeof callId !== 'string' || callId === '') throw invalid(`${field}.tool_call_id`, 'expected a string');
      return { type: 'tool_result', callId, name: toolNames.get(callId) ?? '', output: content() };
    }
    default:
      throw invalid(`${field}.role`, 'expected one of system, developer, user, assistant, tool');
  }
}

function toolCalls(value: unknown, field: string): ToolCall[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw invalid(field, 'expected an array');
  return value.map((call: unknown, i) => {
    const at = `${field}[${i}]`;
    if (!isObject(call) || !isObject(call.function)) throw invalid(`${at}.function`, 'expected an object');
    const { id } = call;
    const { name, arguments: args } = call.function;
    if (typeof id !== 'string' || id === '') throw invalid(`${at}.id`, 'expected a string');
    if (typeof name !== 'string' || name === '') throw invalid(`${at}.function.name`, 'expected a string');
    if (typeof args !== 'string') throw invalid(`${at}.function.arguments`, 'expected a JSON string');
    return { id, name, arguments: args };
  });
}
