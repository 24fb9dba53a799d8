// The agent loop the baselines share: what a careful developer writes by hand against the Chat Completions API.
// History per session in a Map, the same window of messages as Swiftlet sends, the tool run in-process. Only the
// transport (`post`) and what happens to a finished turn's messages differ between baselines.
import {
  FINAL_TEXT,
  HISTORY_WINDOW,
  INSTRUCTIONS,
  MAX_STEPS,
  OPENAI_TOOLS,
  TOOL_NAME,
  runCurrentTime,
} from '../workload.js';

export type ChatMessage =
  | { role: 'system' | 'user'; content: string }
  | { role: 'assistant'; content: string | null; tool_calls?: ChatToolCall[] }
  | { role: 'tool'; tool_call_id: string; content: string };

export interface ChatToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

export interface ChatCompletion {
  choices: { message: { content: string | null; tool_calls?: ChatToolCall[] }; finish_reason: string }[];
}

/** Sends one non-streamed Chat Completions request body, resolves with the parsed answer. */
export type Post = (body: string) => Promise<ChatCompletion>;

export class HandLoop {
  readonly #model: string;
  readonly #post: Post;
  readonly history = new Map<string, ChatMessage[]>();

  constructor(model: string, post: Post) {
    this.#model = model;
    this.#post = post;
  }

  /** Runs a turn; returns the messages it added (user first), or undefined when it did not end as scripted. */
  async turn(sessionId: string, input: string): Promise<ChatMessage[] | undefined> {
    let past = this.history.get(sessionId);
    if (past === undefined) this.history.set(sessionId, (past = []));
    const added: ChatMessage[] = [{ role: 'user', content: input }];
    const context = [{ role: 'system', content: INSTRUCTIONS } as ChatMessage, ...window(past)];
    let final: string | null = null;
    for (let step = 0; step < MAX_STEPS && final === null; step++) {
      const body = JSON.stringify({
        model: this.#model,
        messages: [...context, ...added],
        tools: OPENAI_TOOLS,
        stream: false,
      });
      const answer = (await this.#post(body)).choices[0]?.message;
      if (answer === undefined) return undefined;
      const calls = answer.tool_calls ?? [];
      added.push(
        calls.length > 0
          ? { role: 'assistant', content: answer.content, tool_calls: calls }
          : { role: 'assistant', content: answer.content },
      );
      if (calls.length === 0) final = answer.content ?? '';
      for (const call of calls) {
        const output =
          call.function.name === TOOL_NAME
            ? runCurrentTime(call.function.arguments)
            : `unknown tool ${call.function.name}`;
        added.push({ role: 'tool', tool_call_id: call.id, content: output });
      }
    }
    for (const m of added) past.push(m);
    return final === FINAL_TEXT ? added : undefined;
  }
}

/** The last `HISTORY_WINDOW` messages, starting at a user message (as Swiftlet's context builder does). */
function window(past: readonly ChatMessage[]): ChatMessage[] {
  let start = Math.max(0, past.length - HISTORY_WINDOW);
  while (start < past.length && past[start]!.role !== 'user') start++;
  return past.slice(start);
}
