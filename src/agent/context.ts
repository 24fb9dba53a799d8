import type { Entry, ModelMessage, ToolCall } from '../core/index.js';

type MessageEntry = Extract<Entry, { type: 'user' | 'assistant' | 'tool_result' }>;
type ResultEntry = Extract<Entry, { type: 'tool_result' }>;

function isMessage(entry: Entry): entry is MessageEntry {
  return entry.type === 'user' || entry.type === 'assistant' || entry.type === 'tool_result';
}

/**
 * The model's view of a session's history: at most `window` message entries, starting at a user message so no tool
 * result loses its call. An assistant reply is sent only with the tool calls that have results, each followed by its
 * result; results without their call and empty replies are left out.
 */
export function buildContext(history: readonly Entry[], window: number): ModelMessage[] {
  const messages: MessageEntry[] = [];
  for (const entry of history) if (isMessage(entry)) messages.push(entry);
  let start = Math.max(0, messages.length - Math.max(0, window));
  while (start < messages.length && messages[start]!.type !== 'user') start++;

  const out: ModelMessage[] = [];
  for (let i = start; i < messages.length; i++) {
    const entry = messages[i]!;
    if (entry.type === 'user') {
      out.push({ role: 'user', content: entry.text });
      continue;
    }
    if (entry.type === 'tool_result') continue; // placed after its call below, or orphaned
    const results = new Map<string, ResultEntry>();
    for (let j = i + 1; j < messages.length; j++) {
      const next = messages[j]!;
      if (next.type !== 'tool_result') break;
      results.set(next.callId, next);
    }
    const asked = entry.toolCalls ?? [];
    const calls: ToolCall[] = asked.filter((call) => results.has(call.id));
    if (entry.text === '' && calls.length === 0) continue;
    // Provider continuation data describes the reply as it was; once calls are dropped it no longer matches.
    const keepState = entry.providerState !== undefined && calls.length === asked.length;
    out.push({
      role: 'assistant',
      content: entry.text,
      ...(calls.length > 0 ? { toolCalls: calls } : {}),
      ...(keepState ? { providerState: entry.providerState } : {}),
    });
    for (const call of calls) {
      const result = results.get(call.id)!;
      out.push({
        role: 'tool',
        callId: result.callId,
        name: result.name,
        content: result.output,
        ...(result.isError ? { isError: true } : {}),
      });
    }
  }
  return out;
}
