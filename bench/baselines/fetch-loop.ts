// Baseline "fetch loop": the hand-written loop over WHATWG `fetch` (Node's built-in, keep-alive through its global
// dispatcher), history in memory, nothing stored.
import type { Contender, ContenderOptions } from '../contender.js';
import { MODEL_IDS, sessionFor, turnInput } from '../workload.js';
import { HandLoop, type ChatCompletion } from './loop.js';

export function fetchPost(mockUrl: string): (body: string) => Promise<ChatCompletion> {
  const url = `${mockUrl}/v1/chat/completions`;
  const headers = { 'content-type': 'application/json', authorization: 'Bearer bench' };
  return async (body) => {
    const res = await fetch(url, { method: 'POST', headers, body });
    if (!res.ok) throw new Error(`mock LLM answered ${res.status}: ${await res.text()}`);
    return (await res.json()) as ChatCompletion;
  };
}

export function fetchLoopContender(o: Pick<ContenderOptions, 'mockUrl' | 'sessions'>): Contender & { loop: HandLoop } {
  const loop = new HandLoop(MODEL_IDS.fetchLoop, fetchPost(o.mockUrl));
  return {
    key: 'fetchLoop',
    loop,
    turn: async (i) => (await loop.turn(sessionFor(i, o.sessions), turnInput(i))) !== undefined,
    close: async () => undefined,
  };
}
