// A streamed Chat Completions answer (`chat.completion.chunk` SSE events, then `data: [DONE]`) as model events.
import { newId } from '../core/index.js';
import type { FinishReason, ModelEvent } from '../core/index.js';
import { argumentsText, badAnswer, parseJson, providerAnswerError, withToolCalls } from './decoder.js';
import type { Decoder } from './decoder.js';
import { openAiFinishReason, openAiUsage } from './openai-wire.js';
import type { WireUsage } from './openai-wire.js';
import { SseParser } from './sse.js';
import type { SseEvent } from './sse.js';

interface WireToolCallDelta {
  index?: number;
  id?: string;
  function?: { name?: string; arguments?: string };
}

interface WireChunk {
  error?: { message?: string };
  choices?: {
    delta?: { content?: string | null; tool_calls?: WireToolCallDelta[] };
    finish_reason?: string | null;
  }[];
  usage?: WireUsage | null;
}

interface PendingCall {
  id: string;
  name: string;
  arguments: string;
}

export class OpenAiStreamDecoder implements Decoder {
  readonly #provider: string;
  readonly #sse = new SseParser();
  /** Calls by their `index`; parallel calls interleave their argument deltas. */
  readonly #calls: (PendingCall | undefined)[] = [];
  #finish: FinishReason | undefined;
  #usage: ModelEvent | undefined;
  #done = false;

  constructor(provider: string) {
    this.#provider = provider;
  }

  push(chunk: Uint8Array): readonly ModelEvent[] {
    return this.#events(this.#sse.push(chunk));
  }

  end(): readonly ModelEvent[] {
    const out = this.#events(this.#sse.end());
    if (!this.#done && this.#finish === undefined) {
      throw badAnswer(this.#provider, 'stream ended before the answer was complete');
    }
    let count = 0;
    for (const call of this.#calls) {
      if (call === undefined) continue;
      count++;
      const id = call.id === '' ? newId('call') : call.id;
      out.push({ type: 'tool-call', call: { id, name: call.name, arguments: argumentsText(call.arguments) } });
    }
    if (this.#usage !== undefined) out.push(this.#usage);
    out.push({ type: 'finish', reason: withToolCalls(this.#finish ?? 'stop', count) });
    return out;
  }

  #events(sse: SseEvent[]): ModelEvent[] {
    const out: ModelEvent[] = [];
    for (let i = 0; i < sse.length; i++) this.#chunk(sse[i]!.data, out);
    return out;
  }

  #chunk(data: string, out: ModelEvent[]): void {
    if (this.#done) return;
    if (data === '[DONE]') {
      this.#done = true;
      return;
    }
    const chunk = parseJson(this.#provider, data) as WireChunk;
    if (chunk.error !== undefined) throw providerAnswerError(this.#provider, chunk.error);
    if (chunk.usage) this.#usage = openAiUsage(chunk.usage);
    const choice = chunk.choices?.[0];
    if (choice === undefined) return;
    const delta = choice.delta;
    if (delta !== undefined) {
      const text = delta.content;
      if (typeof text === 'string' && text !== '') out.push({ type: 'text-delta', text });
      const calls = delta.tool_calls;
      if (calls !== undefined) for (let i = 0; i < calls.length; i++) this.#toolDelta(calls[i]!, i, out);
    }
    if (choice.finish_reason) this.#finish = openAiFinishReason(choice.finish_reason);
  }

  #toolDelta(wire: WireToolCallDelta, position: number, out: ModelEvent[]): void {
    const index = wire.index ?? position;
    let call = this.#calls[index];
    if (call === undefined) {
      call = { id: '', name: '', arguments: '' };
      this.#calls[index] = call;
    }
    const name = wire.function?.name;
    const argumentsDelta = wire.function?.arguments ?? '';
    if (wire.id) call.id = wire.id;
    if (name) call.name = name;
    call.arguments += argumentsDelta;
    out.push({
      type: 'tool-call-delta',
      index,
      argumentsDelta,
      ...(wire.id ? { id: wire.id } : {}),
      ...(name ? { name } : {}),
    });
  }
}
