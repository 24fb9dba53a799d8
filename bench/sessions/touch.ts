// The sessions that come back: each picked session runs its turns one after another through the native API
// (POST /v1/sessions/:id/turns), a few sessions at a time. Latency is taken here, outside the server, per turn: the
// first turn of a session finds it idle (cold), the later ones just after a turn (warm).
import { randomInt } from 'node:crypto';
import { Pool } from 'undici';
import { FINAL_TEXT, turnInput } from '../workload.js';

export interface TouchRun {
  sessions: number;
  turns: number;
  completed: number;
  errors: number;
  firstError?: string;
  wallMs: number;
  /** Latencies of completed turns, in milliseconds. */
  coldMs: number[];
  warmMs: number[];
}

/** `count` distinct ids of `ids`, uniformly at random (a partial Fisher–Yates shuffle of a copy). */
export function pickRandom(ids: readonly string[], count: number): string[] {
  const a = ids.slice();
  const n = Math.min(count, a.length);
  for (let i = 0; i < n; i++) {
    const j = i + randomInt(a.length - i);
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a.slice(0, n);
}

export async function touchSessions(
  url: string,
  ids: readonly string[],
  o: { turns: number; parallel: number; onProgress?: (done: number, total: number) => void },
): Promise<TouchRun> {
  const pool = new Pool(url, { connections: o.parallel });
  const run: TouchRun = {
    sessions: ids.length,
    turns: ids.length * o.turns,
    completed: 0,
    errors: 0,
    wallMs: 0,
    coldMs: [],
    warmMs: [],
  };
  const fail = (why: string): void => {
    run.errors++;
    run.firstError ??= why;
  };
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < ids.length) {
      const id = ids[next++]!;
      for (let i = 0; i < o.turns; i++) {
        const t0 = performance.now();
        try {
          const res = await pool.request({
            method: 'POST',
            path: `/v1/sessions/${encodeURIComponent(id)}/turns`,
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ input: turnInput(i) }),
          });
          const body = (await res.body.json()) as { outcome?: string; text?: string; error?: { message?: string } };
          const ms = performance.now() - t0;
          if (res.statusCode === 200 && body.outcome === 'final' && body.text === FINAL_TEXT) {
            run.completed++;
            (i === 0 ? run.coldMs : run.warmMs).push(ms);
          } else fail(`HTTP ${res.statusCode}: ${JSON.stringify(body).slice(0, 300)}`);
        } catch (err) {
          fail((err as Error).message);
        }
        o.onProgress?.(run.completed + run.errors, run.turns);
      }
    }
  };
  const t0 = performance.now();
  try {
    await Promise.all(Array.from({ length: Math.min(o.parallel, ids.length) }, worker));
  } finally {
    run.wallMs = performance.now() - t0;
    await pool.close();
  }
  return run;
}
