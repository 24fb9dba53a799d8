import type { Assignment, Subscription, TaskBus } from '../bus/index.js';
import type { AgentConfig } from '../config/index.js';
import {
  ALL_TENANTS,
  SwiftletError,
  taskSessionId,
  toSwiftletError,
  type TaskRecord,
  type TurnEvent,
} from '../core/index.js';

/** What a task's turn needs of the runtime (Runtime.run, seen narrowly). */
interface TaskTurnRequest {
  tenant: string;
  agent: string;
  sessionId: string;
  input: string;
  signal: AbortSignal;
  metadata: { task: string };
  acknowledgeStart: boolean;
}
type RunTurn = (req: TaskTurnRequest) => AsyncIterable<TurnEvent>;

/** Text deltas are sent as progress at most this often (a turn's tool activity is sent as it happens). */
const PROGRESS_EVERY_MS = 250;

export interface TaskAgents {
  /** Takes no new tasks: those offered from now on go back to the queue. */
  stop(): void;
  close(): Promise<void>;
}

/**
 * Every configured agent consumes the tasks addressed to it or to its skills: each task runs as one turn in its own
 * session (`task-<id>`, in the task's tenant), its progress is the turn's text and tool activity, and its result the
 * turn's answer. Leases are renewed while the turn runs, so only a dead or hung process loses its tasks.
 */
export function serveTasks(bus: TaskBus, agents: readonly AgentConfig[], run: RunTurn, leaseMs: number): TaskAgents {
  let stopped = false;
  const subs: Subscription[] = agents.map((a) =>
    bus.subscribe(
      {
        agent: a.name,
        skills: a.skills.map((s) => s.name),
        scope: ALL_TENANTS,
        concurrency: a.maxConcurrentTasks,
      },
      (assignment) => (stopped ? assignment.release() : runTask(a.name, assignment, run, leaseMs)),
    ),
  );
  return {
    stop: () => {
      stopped = true;
    },
    close: async () => {
      stopped = true;
      await Promise.all(subs.map((s) => s.close()));
    },
  };
}

/** The prompt a task gives its agent: its text, then its data as JSON. */
export function taskPrompt(task: Pick<TaskRecord, 'input'>): string {
  const { text, data } = task.input;
  const parts: string[] = [];
  if (text !== undefined && text !== '') parts.push(text);
  if (data !== undefined) parts.push('```json\n' + JSON.stringify(data, null, 2) + '\n```');
  return parts.join('\n\n');
}

async function runTask(agent: string, a: Assignment, run: RunTurn, leaseMs: number): Promise<void> {
  const task = a.task;
  let turn: AsyncIterable<TurnEvent>;
  try {
    turn = run({
      tenant: task.tenant,
      agent,
      sessionId: taskSessionId(task.id),
      input: taskPrompt(task),
      signal: a.signal,
      metadata: { task: task.id },
      acknowledgeStart: false,
    });
  } catch (err) {
    const e = toSwiftletError(err);
    // A busy or closing runtime is no reason to fail a task: another attempt (here or elsewhere) can run it.
    if (e.retryable) return a.release();
    await a.fail({ code: e.code, message: e.message });
    return;
  }
  const beat = setInterval(() => a.heartbeat(), Math.max(100, Math.floor(leaseMs / 3)));
  const progress = new Progress(a);
  try {
    let end: Extract<TurnEvent, { type: 'turn-end' }> | undefined;
    for await (const e of turn) {
      if (e.type === 'turn-end') end = e;
      else progress.add(e);
    }
    progress.flush();
    if (!end) throw new SwiftletError('SWIFTLET_ERR_INTERNAL', 'the turn ended without a turn-end event');
    if (a.signal.aborted) {
      // Canceled, past its deadline or lease lost: the bus has recorded the task's end already; a runtime closing
      // under the turn hands the task back for another attempt.
      const reason: unknown = a.signal.reason;
      if (SwiftletError.isInstance(reason) && reason.code === 'SWIFTLET_ERR_SHUTTING_DOWN') await a.release();
      return;
    }
    if (end.outcome === 'final') await a.complete({ message: end.text });
    else if (end.outcome === 'interrupted' && end.error?.code === 'SWIFTLET_ERR_SHUTTING_DOWN') await a.release();
    else if (end.outcome === 'max_steps') {
      await a.fail({ code: 'SWIFTLET_ERR_MAX_STEPS', message: `stopped at the step limit (${end.steps} steps)` });
    } else {
      await a.fail(end.error ?? { code: 'SWIFTLET_ERR_INTERNAL', message: `the turn ended ${end.outcome}` });
    }
  } finally {
    clearInterval(beat);
  }
}

/** Condenses a turn's events into progress updates: text in batches, tool calls and results as they happen. */
class Progress {
  #a: Assignment;
  #text = '';
  #last = 0;

  constructor(a: Assignment) {
    this.#a = a;
  }

  add(e: TurnEvent): void {
    if (e.type === 'text-delta') {
      this.#text += e.text;
      if (performance.now() - this.#last >= PROGRESS_EVERY_MS) this.flush();
    } else if (e.type === 'tool-call') {
      this.flush();
      this.#a.progress({ data: { tool: e.call.name, callId: e.call.id } });
    } else if (e.type === 'tool-result') {
      this.#a.progress({ data: { tool: e.name, callId: e.callId, isError: e.isError } });
    }
  }

  flush(): void {
    this.#last = performance.now();
    if (this.#text === '') return;
    this.#a.progress({ text: this.#text });
    this.#text = '';
  }
}
