// The hand-written loop over global fetch, history in a Map, nothing stored (SESSION_CONTENDERS.fetchLoop in
// bench/session-contender.ts, built from the same parts).
import { fetchPost } from '../../baselines/fetch-loop.js';
import { HandLoop } from '../../baselines/loop.js';
import { MODEL_IDS } from '../../workload.js';
import type { CreateContender } from './types.js';

export const create: CreateContender = async (o) => {
  const loop = new HandLoop(MODEL_IDS.fetchLoop, fetchPost(o.mockUrl));
  return {
    name: 'fetch loop',
    turn: async (sessionId, input) => (await loop.turn(sessionId, input)) !== undefined,
    close: async () => loop.history.clear(),
  };
};
