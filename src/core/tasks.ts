// Tasks: work one agent (or a client) hands to another through the task bus. The states are A2A's; a task's history
// is an append-only log of events, and its record is the projection of that log.

import type { ErrorPayload, JSONValue } from './types.js';

export const TASK_STATES = [
  'submitted',
  'working',
  'input-required',
  'completed',
  'failed',
  'canceled',
  'rejected',
] as const;

export type TaskState = (typeof TASK_STATES)[number];

/** States a task never leaves. */
export const TERMINAL_STATES: ReadonlySet<TaskState> = new Set(['completed', 'failed', 'canceled', 'rejected']);

export function isTerminal(state: TaskState): boolean {
  return TERMINAL_STATES.has(state);
}

/**
 * Where a task goes: straight to one agent; to exactly one of the subscribers that have a skill (competing
 * consumers); or to every current subscriber (one child task each, optionally only those with a skill or a name).
 */
export type TaskTarget =
  { agent: string } | { skill: string } | { broadcast: true; filter?: { skill?: string; agents?: string[] } };

/** What a task asks: text, JSON data, or both. */
export interface TaskInput {
  text?: string;
  data?: JSONValue;
}

export type Artifact =
  | { kind: 'text'; name?: string; text: string }
  | { kind: 'data'; name?: string; data: JSONValue }
  | { kind: 'file'; name?: string; uri: string; mediaType: string; size: number };

export interface TaskResult {
  /** The final message (for an agent: its answer). */
  message?: string;
  artifacts?: Artifact[];
  /** For a broadcast parent: its children's ids and end states, in the order they were made. */
  children?: { id: string; agent: string; state: TaskState }[];
}

/** Who made a task: an API key, an agent's turn (through `delegate`), or the CLI. */
export interface Requester {
  kind: 'key' | 'agent' | 'cli';
  /** The key's name, the agent's name, or `cli`. */
  id: string;
  /** For an agent: the session whose turn made the task. */
  sessionId?: string;
}

/** What a publisher gives. The bus fills in the rest of the record. */
export interface TaskSpec {
  tenant: string;
  target: TaskTarget;
  input: TaskInput;
  requester: Requester;
  /** Higher runs first; ties in order of publication. Default 0. */
  priority?: number;
  /** Epoch milliseconds after which an unfinished task fails with `deadline_exceeded`. */
  deadline?: number;
  /** Publishing twice with the same key (in one tenant) returns the first task. */
  idempotencyKey?: string;
  /** The task this one was made for (delegation): its depth is the parent's plus one. */
  parentId?: string;
  /** Claims before the task fails (default from the bus config). */
  maxAttempts?: number;
}

export interface TaskRecord {
  tenant: string;
  id: string;
  target: TaskTarget;
  input: TaskInput;
  requester: Requester;
  priority: number;
  deadline?: number;
  idempotencyKey?: string;
  parentId?: string;
  /** 0 for a top-level task, the parent's depth + 1 for a delegated one. */
  depth: number;
  state: TaskState;
  /** Claims so far; a redelivery is claim number attempt + 1. */
  attempt: number;
  maxAttempts: number;
  /** The agent (subscriber) holding or last holding it. */
  assignee?: string;
  /** Epoch ms the current claim lapses (working tasks only). */
  leaseUntil?: number;
  result?: TaskResult;
  error?: ErrorPayload;
  createdAt: number;
  updatedAt: number;
  /** Seq of the task's last event (events are numbered from 1). */
  lastSeq: number;
}

/** One event in a task's log. */
export type TaskEventData =
  | { type: 'state'; state: TaskState; attempt?: number; assignee?: string; message?: string; error?: ErrorPayload }
  | { type: 'progress'; text?: string; data?: JSONValue }
  | { type: 'artifact'; artifact: Artifact };

export type TaskEvent = TaskEventData & { seq: number; at: number };

/** Task ids given by nothing but Swiftlet; the same alphabet as session ids, so a task's session can be named after it. */
export function taskSessionId(taskId: string): string {
  return `task-${taskId}`;
}

export function targetLabel(target: TaskTarget): string {
  if ('agent' in target) return `agent:${target.agent}`;
  if ('skill' in target) return `skill:${target.skill}`;
  return 'broadcast';
}
