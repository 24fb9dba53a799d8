// The load generator, in its own process so that its CPU time is not the server's. Open loop: request k of a step is
// fired at start + k / rate whether or not earlier ones have answered, on an undici Pool with enough connections.
// Commands arrive as JSON lines on stdin; each step's figures go back as one JSON line on stdout.
import { createInterface } from 'node:readline';
import { Pool } from 'undici';
import { quantile } from '../stats.js';

export interface LoadgenArgs {
  /** Connections per target (each target has its own Pool). */
  connections: number;
  /** Requests in flight per target beyond which a due request is not sent and counts as shed. */
  maxInFlight: number;
}

/** What a request looks like for one target. */
export interface LoadTarget {
  name: string;
  /** native: POST /v1/sessions/:id/turns {input}; openai: POST /v1/chat/completions with X-Swiftlet-Session. */
  kind: 'native' | 'openai';
  origin: string;
  sessions: string[];
  /**
   * The JSON-encoded final text a completed turn's answer contains (the mock's scripted answer). Without it (a
   * `--target` server on its own model), a completed turn is a final answer with some text.
   */
  expect?: string;
  /** Sent as a bearer key. */
  apiKey?: string;
  /** The `model` of an OpenAI-compatible request: an agent of the server (default `assistant`). */
  model?: string;
}

export interface StepCommand {
  op: 'step';
  id: number;
  target: string;
  rate: number;
  seconds: number;
  /** After the last scheduled send, how long unanswered requests may still take before they are aborted. */
  graceMs: number;
  /** Answers up to this long after the step's scheduled end still count towards completedPerSec. */
  slackMs: number;
  /** Return every successful request's latency (for quantiles over several steps). */
  samples: boolean;
}

export type LoadgenCommand = { op: 'target'; id: number; target: LoadTarget } | StepCommand | { op: 'quit' };

export interface StepResult {
  /** Requests the schedule asked for: round(rate × seconds). */
  offered: number;
  sent: number;
  /** Due but not sent: the target already had maxInFlight requests open. */
  shed: number;
  /** Answered 200 with the scripted final text. */
  completed: number;
  /** Sent and not completed, by kind (`http 429`, `timeout`, `wrong answer`, `network ECONNRESET`…). */
  errors: Record<string, number>;
  firstError?: string;
  /** Completed requests answered by the step's scheduled end + slackMs, ÷ the step's seconds. */
  completedPerSec: number;
  latency: { medianMs: number; p95Ms: number; p99Ms: number; maxMs: number; minMs: number };
  /** How late the generator fired requests behind their schedule (p99, ms): high means it could not keep up. */
  lagP99Ms: number;
  generatorCpuSeconds: number;
  samplesMs?: number[];
}

const TIMEOUT_KIND = 'timeout';

/** Runs in the helper process until `quit` or the end of stdin. */
export async function runLoadgen(a: LoadgenArgs): Promise<void> {
  const targets = new Map<string, { t: LoadTarget; pool: Pool; next: number }>();
  const lines = createInterface({ input: process.stdin });
  for await (const line of lines) {
    const cmd = JSON.parse(line) as LoadgenCommand;
    if (cmd.op === 'quit') break;
    if (cmd.op === 'target') {
      const pool = new Pool(cmd.target.origin, { connections: a.connections, keepAliveTimeout: 60_000 });
      targets.set(cmd.target.name, { t: cmd.target, pool, next: 0 });
      process.stdout.write(JSON.stringify({ id: cmd.id, ok: true }) + '\n');
      continue;
    }
    const entry = targets.get(cmd.target);
    if (entry === undefined) throw new Error(`unknown target ${cmd.target}`);
    const send = sender(entry);
    const result = await step(cmd, send, a.maxInFlight);
    process.stdout.write(JSON.stringify({ id: cmd.id, result }) + '\n');
  }
  lines.close();
  await Promise.all([...targets.values()].map((e) => e.pool.close()));
}

type Send = (signal: AbortSignal) => Promise<true | string>;

function sender(e: { t: LoadTarget; pool: Pool; next: number }): Send {
  const { t, pool } = e;
  const json: Record<string, string> = { 'content-type': 'application/json' };
  if (t.apiKey !== undefined) json.authorization = `Bearer ${t.apiKey}`;
  const model = t.model ?? 'assistant';
  return async (signal) => {
    const i = e.next++;
    const session = t.sessions[i % t.sessions.length]!;
    const input = `What time is it now? (request ${i})`;
    const request =
      t.kind === 'native'
        ? { path: `/v1/sessions/${session}/turns`, headers: json, body: JSON.stringify({ input }) }
        : {
            path: '/v1/chat/completions',
            headers: { ...json, 'x-swiftlet-session': session },
            body: JSON.stringify({ model, messages: [{ role: 'user', content: input }] }),
          };
    const res = await pool.request({ method: 'POST', ...request, signal, headersTimeout: 0, bodyTimeout: 0 });
    const text = await res.body.text();
    if (res.statusCode !== 200) return `http ${res.statusCode}`;
    if (t.expect !== undefined) return text.includes(t.expect) ? true : 'wrong answer';
    return finalAnswer(t.kind, text);
  };
}

/** Whether an answer is a finished turn with some text: `outcome: "final"` (native), a message's content (openai). */
function finalAnswer(kind: LoadTarget['kind'], text: string): true | string {
  let answer: { outcome?: unknown; text?: unknown; choices?: { message?: { content?: unknown } }[] };
  try {
    answer = JSON.parse(text) as typeof answer;
  } catch {
    return 'not JSON';
  }
  if (kind === 'native' && answer.outcome !== 'final') return `outcome ${String(answer.outcome)}`;
  const content = kind === 'native' ? answer.text : answer.choices?.[0]?.message?.content;
  return typeof content === 'string' && content !== '' ? true : 'empty answer';
}

async function step(cmd: StepCommand, send: Send, maxInFlight: number): Promise<StepResult> {
  const total = Math.max(1, Math.round(cmd.rate * cmd.seconds));
  const interval = 1000 / cmd.rate;
  const abort = new AbortController();
  const latencies: number[] = [];
  const lags: number[] = [];
  const errors: Record<string, number> = {};
  let firstError: string | undefined;
  let scheduled = 0;
  let inFlight = 0;
  let sent = 0;
  let shed = 0;
  let inWindow = 0;
  const cpu0 = process.cpuUsage();
  let settled!: () => void;
  const allSettled = new Promise<void>((resolve) => (settled = resolve));
  const fail = (kind: string, detail?: string): void => {
    errors[kind] = (errors[kind] ?? 0) + 1;
    firstError ??= detail ?? kind;
  };
  const start = performance.now() + 5;
  const windowEnd = start + cmd.seconds * 1000 + cmd.slackMs;

  const fire = (k: number): void => {
    const t0 = performance.now();
    lags.push(t0 - (start + k * interval));
    if (inFlight >= maxInFlight) {
      shed++;
      return;
    }
    inFlight++;
    sent++;
    send(abort.signal)
      .then(
        (outcome) => {
          const t1 = performance.now();
          if (outcome !== true) return fail(outcome);
          latencies.push(t1 - t0);
          if (t1 <= windowEnd) inWindow++;
        },
        (err: unknown) => {
          const e = err as { name?: string; code?: string; message?: string };
          if (abort.signal.aborted) fail(TIMEOUT_KIND);
          else fail(`network ${e.code ?? e.name ?? 'error'}`, e.message);
        },
      )
      .finally(() => {
        inFlight--;
        if (inFlight === 0 && scheduled === total) settled();
      });
  };
  const tick = (): void => {
    const now = performance.now();
    while (scheduled < total && start + scheduled * interval <= now) fire(scheduled++);
    if (scheduled < total) setTimeout(tick, Math.max(0, start + scheduled * interval - performance.now()));
    else if (inFlight === 0) settled();
  };
  setTimeout(tick, 5);

  // Bounded: whatever is still open `graceMs` after the step's scheduled end is aborted and counts as a timeout.
  await new Promise<void>((resolve) => {
    const timer = setTimeout(
      () => {
        abort.abort();
        resolve();
      },
      cmd.seconds * 1000 + cmd.graceMs + 10,
    );
    void allSettled.then(() => {
      clearTimeout(timer);
      resolve();
    });
  });
  await allSettled;
  const cpu = process.cpuUsage(cpu0);
  const sorted = Float64Array.from(latencies).sort();
  const lagSorted = Float64Array.from(lags).sort();
  return {
    offered: total,
    sent,
    shed,
    completed: latencies.length,
    errors,
    ...(firstError === undefined ? {} : { firstError }),
    completedPerSec: inWindow / cmd.seconds,
    latency: {
      medianMs: quantile(sorted, 0.5),
      p95Ms: quantile(sorted, 0.95),
      p99Ms: quantile(sorted, 0.99),
      maxMs: sorted.at(-1) ?? Number.NaN,
      minMs: sorted[0] ?? Number.NaN,
    },
    lagP99Ms: quantile(lagSorted, 0.99),
    generatorCpuSeconds: (cpu.user + cpu.system) / 1e6,
    ...(cmd.samples ? { samplesMs: latencies } : {}),
  };
}
