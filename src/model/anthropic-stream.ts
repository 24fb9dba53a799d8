// A streamed Anthropic Messages answer (message_start, content_block_*, message_delta, message_stop) as model events.
import type { FinishReason, ModelEvent } from '../core/index.js';
import { anthropicFinishReason, inputTokens } from './anthropic-wire.js';
import type { WireUsage } from './anthropic-wire.js';
import { argumentsText, badAnswer, parseJson, providerAnswerError } from './decoder.js';
import type { Decoder } from './decoder.js';
import { SseParser } from './sse.js';
import type { SseEvent } from './sse.js';

interface WireEvent {
  type?: string;
  index?: number;
  message?: { usage?: WireUsage };
  content_block?: { type?: string; id?: string; name?: string; text?: string };
  delta?: { type?: string; text?: string; partial_json?: string; stop_reason?: string | null };
  usage?: WireUsage;
  error?: { type?: string; message?: string };
}

interface PendingCall {
  id: string;
  name: string;
  arguments: string;
}

export class AnthropicStreamDecoder implements Decoder {
  readonly #provider: string;
  readonly #sse = new SseParser();
  readonly #calls: PendingCall[] = [];
  /** Content block index → position in #calls (text blocks interleave with tool_use blocks). */
  readonly #callOfBlock: (number | undefined)[] = [];
  #inputTokens: number | undefined;
  #outputTokens = 0;
  #stop: FinishReason | undefined;
  #done = false;

  constructor(provider: string) {
    this.#provider = provider;
  }

  push(chunk: Uint8Array): readonly ModelEvent[] {
    return this.#events(this.#sse.push(chunk));
  }

  end(): readonly ModelEvent[] {
    const out = this.#events(this.#sse.end());
    if (!this.#done) throw badAnswer(this.#provider, 'stream ended before message_stop');
    for (const call of this.#calls) {
      out.push({ type: 'tool-call', call: { id: call.id, name: call.name, arguments: argumentsText(call.arguments) } });
    }
    if (this.#inputTokens !== undefined) {
      out.push({ type: 'usage', usage: { inputTokens: this.#inputTokens, outputTokens: this.#outputTokens } });
    }
    out.push({ type: 'finish', reason: this.#stop ?? 'other' });
    return out;
  }

  #events(sse: SseEvent[]): ModelEvent[] {
    const out: ModelEvent[] = [];
    for (let i = 0; i < sse.length; i++) this.#event(sse[i]!.data, out);
    return out;
  }

  #event(data: string, out: ModelEvent[]): void {
    if (this.#done) return;
    const event = parseJson(this.#provider, data) as WireEvent;
    switch (event.type) {
      case 'content_block_delta': {
        const delta = event.delta;
        if (delta?.type === 'text_delta' && delta.text) {
          out.push({ type: 'text-delta', text: delta.text });
        } else if (delta?.type === 'input_json_delta' && delta.partial_json) {
          const index = this.#callOfBlock[event.index ?? -1];
          const call = index === undefined ? undefined : this.#calls[index];
          if (index === undefined || call === undefined)
            throw badAnswer(this.#provider, 'input_json_delta outside tool_use');
          call.arguments += delta.partial_json;
          out.push({ type: 'tool-call-delta', index, argumentsDelta: delta.partial_json });
        }
        return;
      }
      case 'content_block_start': {
        const block = event.content_block;
        if (block?.type === 'tool_use') {
          const index = this.#calls.length;
          const call = { id: block.id ?? '', name: block.name ?? '', arguments: '' };
          this.#calls.push(call);
          this.#callOfBlock[event.index ?? 0] = index;
          out.push({ type: 'tool-call-delta', index, id: call.id, name: call.name, argumentsDelta: '' });
        } else if (block?.type === 'text' && block.text) {
          out.push({ type: 'text-delta', text: block.text });
        }
        return;
      }
      case 'message_start': {
        const usage = event.message?.usage;
        if (usage !== undefined) {
          this.#inputTokens = inputTokens(usage);
          this.#outputTokens = usage.output_tokens ?? 0;
        }
        return;
      }
      case 'message_delta':
        if (event.delta?.stop_reason) this.#stop = anthropicFinishReason(event.delta.stop_reason);
        // Counts in message_delta are cumulative.
        if (event.usage?.output_tokens !== undefined) this.#outputTokens = event.usage.output_tokens;
        if (event.usage?.input_tokens != null) this.#inputTokens = inputTokens(event.usage);
        return;
      case 'message_stop':
        this.#done = true;
        return;
      case 'error':
        throw providerAnswerError(this.#provider, event.error);
      default:
        return; // ping, content_block_stop, and event types added later
    }
  }
}
