import type { Entry, ModelMessage, ToolCall } from '../core/index.js';

type MessageEntry = Extract<Entry, { type: 'user' | 'assistant' | 'tool_result' }>;
type ResultEntry = Extract<Entry, { type: 'tool_result' }>;

function isMessage(entry: Entry): entry is MessageEntry {
  return entry.type === 'user' || entry.type === 'assistant' || entry.type === 'tool_result';
}

/** What an assistant entry becomes: its reply and the results of its calls, for a given number of results after it. */
interface AssistantGroup {
  results: number;
  messages: readonly ModelMessage[];
}

// A session's history is sent again every turn; its entries never change once written. Their model messages are
// made once and kept as long as the entries live, which also lets the model client reuse their wire form.
const userMessages = new WeakMap<Entry, ModelMessage>();
const assistantGroups = new WeakMap<Entry, AssistantGroup>();

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
      let message = userMessages.get(entry);
      if (message === undefined) {
        message = { role: 'user', content: entry.text };
        userMessages.set(entry, message);
      }
      out.push(message);
      continue;
    }
    if (entry.type === 'tool_result') continue; // placed after its call below, or orphaned
    let results = 0;
    while (i + 1 + results < messages.length && messages[i + 1 + results]!.type === 'tool_result') results++;
    let group = assistantGroups.get(entry);
    if (group === undefined || group.results !== results) {
      group = { results, messages: assistantMessages(entry, messages.slice(i + 1, i + 1 + results) as ResultEntry[]) };
      assistantGroups.set(entry, group);
    }
    for (const message of group.messages) out.push(message);
  }
  return out;
}

function assistantMessages(entry: Extract<Entry, { type: 'assistant' }>, following: ResultEntry[]): ModelMessage[] {
  const results = new Map<string, ResultEntry>();
  for (const next of following) results.set(next.callId, next);
  const asked = entry.toolCalls ?? [];
  const calls: ToolCall[] = asked.filter((call) => results.has(call.id));
  if (entry.text === '' && calls.length === 0) return [];
  // Provider continuation data describes the reply as it was; once calls are dropped it no longer matches.
  const keepState = entry.providerState !== undefined && calls.length === asked.length;
  const out: ModelMessage[] = [
    {
      role: 'assistant',
      content: entry.text,
      ...(calls.length > 0 ? { toolCalls: calls } : {}),
      ...(keepState ? { providerState: entry.providerState } : {}),
    },
  ];
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
  return out;
}
