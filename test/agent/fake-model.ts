import type { ModelEvent, ModelMessage, ModelRequest } from '../../src/core/index.js';
import type { ModelClient } from '../../src/model/index.js';

/** One scripted answer: a list of events, or a function producing them (to wait, throw, or watch the signal). */
export type FakeStep = ModelEvent[] | ((request: ModelRequest, signal: AbortSignal) => AsyncIterable<ModelEvent>);

/** A ModelClient that answers from a script, one entry per call, and keeps a copy of each request. */
export function fakeModel(script: FakeStep[]): ModelClient & { requests: ModelRequest[] } {
  const requests: ModelRequest[] = [];
  return {
    provider: 'fake',
    requests,
    stream(request, signal) {
      requests.push({ ...request, messages: structuredClone(request.messages) as ModelMessage[] });
      const step = script[requests.length - 1];
      if (step === undefined) throw new Error(`no scripted answer for call ${requests.length}`);
      if (typeof step === 'function') return step(request, signal);
      return (async function* () {
        yield* step;
      })();
    },
    close: async () => {},
  };
}

export function textAnswer(text: string): ModelEvent[] {
  return [
    { type: 'text-delta', text },
    { type: 'usage', usage: { inputTokens: 10, outputTokens: 2 } },
    { type: 'finish', reason: 'stop' },
  ];
}

export function toolAnswer(...calls: { id: string; name: string; arguments: unknown }[]): ModelEvent[] {
  return [
    ...calls.map((c): ModelEvent => ({
      type: 'tool-call',
      call: {
        id: c.id,
        name: c.name,
        arguments: typeof c.arguments === 'string' ? c.arguments : JSON.stringify(c.arguments),
      },
    })),
    { type: 'usage', usage: { inputTokens: 5, outputTokens: 1 } },
    { type: 'finish', reason: 'tool_calls' },
  ];
}
