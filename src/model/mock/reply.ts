// What the mock says: scripted steps or the deterministic default text. Everything that does not depend on the
// request (script tokens, filler words, their JSON encodings, split tool arguments) is computed once, up front.
import type { MockReply, MockToolCallSpec } from './types.js';

export interface CompiledCall {
  name: string;
  nameJson: string;
  arguments: string;
  /** The arguments cut into pieces (at least two when there are two characters or more), one delta each. */
  chunks: readonly string[];
  chunksJson: readonly string[];
}

export interface Reply {
  /** One streamed delta per token; a token is a word and the whitespace after it. */
  tokens: readonly string[];
  tokensJson: readonly string[];
  text: string;
  calls: readonly CompiledCall[];
  outputTokens: number;
}

/** What the formats extract from a request for the reply logic. */
export interface Turn {
  model: string;
  stream: boolean;
  /** Chat Completions `stream_options.include_usage`. */
  includeUsage: boolean;
  /** Assistant steps since the last user message. */
  step: number;
  lastUserText: string;
  inputTokens: number;
  offersTools: boolean;
}

const FILLER = (
  'lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut labore et dolore ' +
  'magna aliqua ut enim ad minim veniam quis nostrud exercitation ullamco laboris nisi ut aliquip ex ea commodo'
)
  .split(' ')
  .map((w) => w + ' ');
const FILLER_JSON = FILLER.map((t) => JSON.stringify(t));
const SNIPPET_CHARS = 40;
const CHUNK_CHARS = 16;

export function compileReply(spec: MockReply): Reply {
  const tokens = splitText(spec.text ?? '');
  const calls = (spec.toolCalls ?? []).map(compileCall);
  return {
    tokens,
    tokensJson: tokens.map((t) => JSON.stringify(t)),
    text: spec.text ?? '',
    calls,
    outputTokens: tokens.length + calls.reduce((n, c) => n + c.chunks.length, 0),
  };
}

/** `Mock reply to: "<first 40 chars of the last user text>"` then filler words up to `outputTokens` tokens. */
export function defaultReply(lastUserText: string, outputTokens: number): Reply {
  let snippet = lastUserText.slice(0, SNIPPET_CHARS);
  const last = snippet.charCodeAt(snippet.length - 1);
  if (last >= 0xd800 && last <= 0xdbff) snippet = snippet.slice(0, -1); // never cut a surrogate pair in two
  const tokens = `Mock reply to: "${snippet}"`.split(' ').map((w) => w + ' ');
  const tokensJson = tokens.map((t) => JSON.stringify(t));
  for (let i = 0; tokens.length < outputTokens; i++) {
    tokens.push(FILLER[i % FILLER.length] as string);
    tokensJson.push(FILLER_JSON[i % FILLER.length] as string);
  }
  return { tokens, tokensJson, text: tokens.join(''), calls: [], outputTokens: tokens.length };
}

/**
 * Script step k when the request can take it (a step with tool calls needs a request that offers tools), else the
 * default text.
 */
export function chooseReply(turn: Turn, script: readonly Reply[] | undefined, outputTokens: number): Reply {
  const step = script?.[turn.step];
  if (step !== undefined && (step.calls.length === 0 || turn.offersTools)) return step;
  return defaultReply(turn.lastUserText, outputTokens);
}

/** Whether an answer carries a text part: some text, or nothing at all (an empty text rather than no message). */
export function hasText(reply: Reply): boolean {
  return reply.tokens.length > 0 || reply.calls.length === 0;
}

/** Splits text into word tokens that concatenate back to exactly the same text. */
export function splitText(text: string): string[] {
  return text.match(/\S+\s*|\s+/g) ?? [];
}

function compileCall(spec: MockToolCallSpec): CompiledCall {
  const args = typeof spec.arguments === 'string' ? spec.arguments : JSON.stringify(spec.arguments);
  const chunks = splitArguments(args);
  return {
    name: spec.name,
    nameJson: JSON.stringify(spec.name),
    arguments: args,
    chunks,
    chunksJson: chunks.map((c) => JSON.stringify(c)),
  };
}

export function splitArguments(args: string): string[] {
  if (args.length < 2) return [args];
  const size = Math.ceil(args.length / Math.max(2, Math.ceil(args.length / CHUNK_CHARS)));
  const out: string[] = [];
  let i = 0;
  while (i < args.length) {
    let j = Math.min(args.length, i + size);
    const c = args.charCodeAt(j - 1);
    if (j < args.length && c >= 0xd800 && c <= 0xdbff) j++; // keep surrogate pairs whole
    out.push(args.slice(i, j));
    i = j;
  }
  return out;
}

const NOT_COUNTED = new Set(['role', 'type', 'id', 'name', 'tool_call_id', 'call_id', 'tool_use_id', 'cache_control']);

/** Input "tokens": whitespace-separated words in every text of a conversation (roles, ids and names excluded). */
export function countWords(value: unknown): number {
  if (typeof value === 'string') return wordsIn(value);
  if (typeof value !== 'object' || value === null) return 0;
  let n = 0;
  if (Array.isArray(value)) {
    for (const v of value) n += countWords(v);
    return n;
  }
  for (const key in value) {
    if (!NOT_COUNTED.has(key)) n += countWords((value as Record<string, unknown>)[key]);
  }
  return n;
}

function wordsIn(s: string): number {
  let n = 0;
  let inWord = false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const space = c === 32 || c === 10 || c === 9 || c === 13;
    if (!space && !inWord) n++;
    inWord = !space;
  }
  return n;
}

/** Text of a message content: a string, or the `text` of its text parts (OpenAI and Anthropic shapes). */
export function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  let out = '';
  for (const part of content) {
    const p = part as { type?: unknown; text?: unknown } | null;
    if (p !== null && typeof p === 'object' && typeof p.text === 'string' && p.type !== 'tool_result') out += p.text;
  }
  return out;
}
