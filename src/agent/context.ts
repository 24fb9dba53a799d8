import type { EntryData, ModelMessage, ToolCall } from '../core/index.js';

type ResultEntry = Extract<EntryData, { type: 'tool_result' }>;

function isMessage(entry: EntryData): boolean {
  return entry.type === 'user' || entry.type === 'assistant' || entry.type === 'tool_result';
}

/**
 * The model's view of a session's history: at most `window` message entries, starting at a user message so no tool
 * result loses its call. An assistant reply is sent only with the tool calls that have results, each followed by its
 * result; results without their call and empty replies are left out.
 */
export function buildContext(history: readonly EntryData[], window: number): ModelMessage[] {
  // Walked from the end, so only the window is touched, not the whole hot history.
  let start = history.length;
  for (let counted = 0, i = history.length - 1; i >= 0 && counted < window; i--) {
    if (isMessage(history[i]!)) {
      counted++;
      start = i;
    }
  }
  while (start < history.length && history[start]!.type !== 'user') start++;

  const out: ModelMessage[] = [];
  for (let i = start; i < history.length; i++) {
    const entry = history[i]!;
    if (entry.type === 'user') out.push({ role: 'user', content: entry.text });
    else if (entry.type === 'assistant') pushReply(out, entry, history, i + 1);
    // tool_result: placed after its call by pushReply, or orphaned; other entries are not messages.
  }
  return out;
}

/** A reply with the calls that have results among the tool results right after it (a later result for a call wins). */
function pushReply(
  out: ModelMessage[],
  entry: Extract<EntryData, { type: 'assistant' }>,
  history: readonly EntryData[],
  from: number,
): void {
  const results: ResultEntry[] = [];
  for (let j = from; j < history.length; j++) {
    const next = history[j]!;
    if (next.type === 'tool_result') results.push(next);
    else if (isMessage(next)) break;
  }
  const resultFor = (id: string): ResultEntry | undefined => {
    for (let k = results.length - 1; k >= 0; k--) if (results[k]!.callId === id) return results[k];
    return undefined;
  };
  const asked = entry.toolCalls ?? [];
  const calls: ToolCall[] = results.length === 0 ? [] : asked.filter((call) => resultFor(call.id) !== undefined);
  if (entry.text === '' && calls.length === 0) return;
  // Provider continuation data describes the reply as it was; once calls are dropped it no longer matches.
  const keepState = entry.providerState !== undefined && calls.length === asked.length;
  out.push({
    role: 'assistant',
    content: entry.text,
    ...(calls.length > 0 ? { toolCalls: calls } : {}),
    ...(keepState ? { providerState: entry.providerState } : {}),
  });
  for (const call of calls) {
    const result = resultFor(call.id)!;
    out.push({
      role: 'tool',
      callId: result.callId,
      name: result.name,
      content: result.output,
      ...(result.isError ? { isError: true } : {}),
    });
  }
}
