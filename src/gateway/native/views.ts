// How stored shapes look on the wire: ISO timestamps, messages instead of raw log entries.
import type {
  Entry,
  ErrorPayload,
  JSONValue,
  Requester,
  SessionInfo,
  TaskEvent,
  TaskEventData,
  TaskInput,
  TaskRecord,
  TaskResult,
  TaskState,
  TaskTarget,
  TodoItem,
  ToolCall,
  TurnEndEvent,
} from '../../core/index.js';

export interface SessionView {
  id: string;
  /** The tenant that owns the session (an admin key's listing mixes tenants). */
  tenant: string;
  agent: string;
  createdAt: string;
  updatedAt: string;
  lastSeq: number;
  openTurn?: string;
  /** The first user message, cut to 80 characters; absent until there is one. */
  title?: string;
  metadata: { [key: string]: JSONValue };
}

export function sessionView(s: SessionInfo): SessionView {
  return {
    id: s.id,
    tenant: s.tenant,
    agent: s.agent,
    createdAt: new Date(s.createdAt).toISOString(),
    updatedAt: new Date(s.updatedAt).toISOString(),
    lastSeq: s.lastSeq,
    ...(s.openTurn === undefined ? {} : { openTurn: s.openTurn }),
    ...(s.title === undefined ? {} : { title: s.title }),
    metadata: s.metadata,
  };
}

const STATUSES = new Set(['pending', 'in_progress', 'done']);

/** The session's todo list (state key `todo`); items of another shape are left out. */
export function todoView(value: JSONValue | undefined): TodoItem[] {
  if (!Array.isArray(value)) return [];
  return value.filter((v): v is JSONValue & TodoItem => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
    return typeof v.id === 'number' && typeof v.text === 'string' && STATUSES.has(v.status as string);
  });
}

export type MessageView = { seq: number; turnId: string; at: string } & (
  | { role: 'user'; text: string }
  | { role: 'assistant'; text: string; toolCalls?: ToolCall[]; interrupted?: true }
  | { role: 'tool'; callId: string; name: string; output: string; isError?: true }
);

/** A log entry as a message; undefined for entries that are not messages (turn markers, state). */
export function messageView(e: Entry): MessageView | undefined {
  const base = { seq: e.seq, turnId: e.turnId, at: new Date(e.at).toISOString() };
  switch (e.type) {
    case 'user':
      return { ...base, role: 'user', text: e.text };
    case 'assistant':
      return {
        ...base,
        role: 'assistant',
        text: e.text,
        ...(e.toolCalls && e.toolCalls.length > 0 ? { toolCalls: e.toolCalls } : {}),
        ...(e.interrupted ? { interrupted: true as const } : {}),
      };
    case 'tool_result':
      return {
        ...base,
        role: 'tool',
        callId: e.callId,
        name: e.name,
        output: e.output,
        ...(e.isError ? { isError: true as const } : {}),
      };
    default:
      return undefined;
  }
}

/** The JSON answer of a turn: its turn-end event without the type. */
export function turnResultView(end: TurnEndEvent): Omit<TurnEndEvent, 'type'> {
  const { type: _, ...rest } = end;
  return rest;
}

export interface TaskView {
  id: string;
  /** The tenant that owns the task (an admin key's listing mixes tenants). */
  tenant: string;
  target: TaskTarget;
  state: TaskState;
  input: TaskInput;
  requester: Requester;
  priority: number;
  deadline?: string;
  idempotencyKey?: string;
  parentId?: string;
  depth: number;
  attempt: number;
  maxAttempts: number;
  assignee?: string;
  result?: TaskResult;
  error?: ErrorPayload;
  createdAt: string;
  updatedAt: string;
  /** Seq of the task's last event: `GET /v1/tasks/{id}/events?after=<lastSeq>` sends only what comes next. */
  lastSeq: number;
}

/** A task record as the API shows it: ISO times, and nothing of its claim but who holds it (no owner, no lease). */
export function taskView(t: TaskRecord): TaskView {
  return {
    id: t.id,
    tenant: t.tenant,
    target: t.target,
    state: t.state,
    input: t.input,
    requester: t.requester,
    priority: t.priority,
    ...(t.deadline === undefined ? {} : { deadline: new Date(t.deadline).toISOString() }),
    ...(t.idempotencyKey === undefined ? {} : { idempotencyKey: t.idempotencyKey }),
    ...(t.parentId === undefined ? {} : { parentId: t.parentId }),
    depth: t.depth,
    attempt: t.attempt,
    maxAttempts: t.maxAttempts,
    ...(t.assignee === undefined ? {} : { assignee: t.assignee }),
    ...(t.result === undefined ? {} : { result: t.result }),
    ...(t.error === undefined ? {} : { error: t.error }),
    createdAt: new Date(t.createdAt).toISOString(),
    updatedAt: new Date(t.updatedAt).toISOString(),
    lastSeq: t.lastSeq,
  };
}

export type TaskEventView = TaskEventData & { seq: number; at: string };

/** One event of a task's log, with its seq (the SSE id) and an ISO time. */
export function taskEventView(e: TaskEvent): TaskEventView {
  const { seq, at, ...data } = e;
  return { seq, at: new Date(at).toISOString(), ...data };
}
