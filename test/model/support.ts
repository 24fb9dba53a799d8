// Shared pieces of the model client tests: provider options pointing at the mock LLM, and event collection.
import { SwiftletError } from '../../src/core/index.js';
import type { ModelEvent, ToolCall } from '../../src/core/index.js';
import type { MockLlm, ProviderOptions, ProviderRetries, ProviderTimeouts } from '../../src/model/index.js';

export interface OptionOverrides {
  timeouts?: Partial<ProviderTimeouts>;
  retries?: Partial<ProviderRetries>;
  apiKey?: string;
  headers?: Record<string, string>;
  baseUrl?: string;
  name?: string;
}

export function mockOptions(type: 'openai' | 'anthropic', mock: MockLlm, o: OptionOverrides = {}): ProviderOptions {
  return {
    name: o.name ?? `mock-${type}`,
    type,
    baseUrl: o.baseUrl ?? (type === 'openai' ? `${mock.url}/v1` : mock.url),
    timeouts: { connectMs: 2_000, firstTokenMs: 10_000, idleMs: 10_000, totalMs: 30_000, ...o.timeouts },
    retries: { max: 2, baseDelayMs: 10, maxDelayMs: 2_000, ...o.retries },
    maxConnections: 4,
    ...(o.apiKey === undefined ? {} : { apiKey: o.apiKey }),
    ...(o.headers === undefined ? {} : { headers: o.headers }),
  };
}

export async function collect(stream: AsyncIterable<ModelEvent>): Promise<ModelEvent[]> {
  const events: ModelEvent[] = [];
  for await (const event of stream) events.push(event);
  return events;
}

/** The events received before the stream failed, and the failure (which must be a SwiftletError). */
export async function collectFailure(
  stream: AsyncIterable<ModelEvent>,
  onEvent?: (event: ModelEvent) => void,
): Promise<{ events: ModelEvent[]; error: SwiftletError }> {
  const events: ModelEvent[] = [];
  try {
    for await (const event of stream) {
      events.push(event);
      onEvent?.(event);
    }
  } catch (err) {
    if (!SwiftletError.isInstance(err)) throw err;
    return { events, error: err };
  }
  throw new Error(`stream succeeded with ${events.length} events; a failure was expected`);
}

export function textOf(events: readonly ModelEvent[]): string {
  let text = '';
  for (const e of events) if (e.type === 'text-delta') text += e.text;
  return text;
}

export function toolCallsOf(events: readonly ModelEvent[]): ToolCall[] {
  return events.flatMap((e) => (e.type === 'tool-call' ? [e.call] : []));
}

/** Concatenated argument deltas per tool-call index. */
export function argumentDeltas(events: readonly ModelEvent[]): Map<number, string> {
  const out = new Map<number, string>();
  for (const e of events)
    if (e.type === 'tool-call-delta') out.set(e.index, (out.get(e.index) ?? '') + e.argumentsDelta);
  return out;
}

export function finishOf(events: readonly ModelEvent[]): Extract<ModelEvent, { type: 'finish' }> {
  const finishes = events.filter((e) => e.type === 'finish');
  if (finishes.length !== 1) throw new Error(`expected one finish event, got ${finishes.length}`);
  const last = events[events.length - 1];
  if (last?.type !== 'finish') throw new Error(`the last event is ${last?.type}, not finish`);
  return last;
}

export function usageOf(events: readonly ModelEvent[]): Extract<ModelEvent, { type: 'usage' }>['usage'] {
  const usage = events.filter((e) => e.type === 'usage');
  if (usage.length !== 1 || usage[0] === undefined) throw new Error(`expected one usage event, got ${usage.length}`);
  return usage[0].usage;
}
