import type { Entry, EntryData, ModelMessage, ToolCall } from '../core/index.js';

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
// made once and kept on the entry, which also lets the model client reuse their wire form. A non-enumerable symbol
// property is invisible to spreads, JSON, clones and the store; a WeakMap would cost every scavenge a walk of its
// ephemeron table.
const MODEL_VIEW = Symbol('swiftlet.context');

interface ViewHolder {
  [MODEL_VIEW]?: ModelMessage | AssistantGroup;
}

function viewOf(entry: Entry): ModelMessage | AssistantGroup | undefined {
  return (entry as ViewHolder)[MODEL_VIEW];
}

function keep<T extends ModelMessage | AssistantGroup>(entry: EntryData, view: T): T {
  if (Object.isExtensible(entry)) Object.defineProperty(entry, MODEL_VIEW, { value: view, writable: true });
  return view;
}

/** A user entry the turn recorded, sent as `message`: later turns reuse the message (and its wire form). */
export function rememberUser(entry: EntryData, message: ModelMessage): void {
  keep(entry, message);
}

/**
 * A reply the turn recorded, with a result for each of its calls: `messages` is what the turn sent for them (the
 * reply, then one result per call in call order), which is what `buildContext` would make of those entries. Later
 * turns reuse them. Not kept when call ids repeat, where `buildContext` pairs results differently.
 */
export function rememberReply(entry: EntryData, messages: readonly ModelMessage[], calls: readonly ToolCall[]): void {
  for (let i = 1; i < calls.length; i++) {
    for (let j = 0; j < i; j++) if (calls[i]!.id === calls[j]!.id) return;
  }
  keep(entry, { results: calls.length, messages });
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
      out.push((viewOf(entry) as ModelMessage | undefined) ?? keep(entry, { role: 'user', content: entry.text }));
      continue;
    }
    if (entry.type === 'tool_result') continue; // placed after its call below, or orphaned
    let results = 0;
    while (i + 1 + results < messages.length && messages[i + 1 + results]!.type === 'tool_result') results++;
    let group = viewOf(entry) as AssistantGroup | undefined;
    if (group === undefined || group.results !== results) {
      const following = messages.slice(i + 1, i + 1 + results) as ResultEntry[];
      group = keep(entry, { results, messages: assistantMessages(entry, following) });
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
