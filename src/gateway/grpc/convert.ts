// Task records and events to the broker's messages, and the messages' inputs back, checked field by field.
import {
  SwiftletError,
  TENANT_PATTERN,
  type Artifact,
  type JSONValue,
  type TaskEvent,
  type TaskRecord,
  type TaskState,
  type TaskTarget,
} from '../../core/index.js';
import type { ArtifactMsg, TargetMsg, TaskEventMsg, TaskMsg, TaskStateName } from './messages.js';

const STATE_NAMES: Record<TaskState, TaskStateName> = {
  submitted: 'TASK_STATE_SUBMITTED',
  working: 'TASK_STATE_WORKING',
  'input-required': 'TASK_STATE_INPUT_REQUIRED',
  completed: 'TASK_STATE_COMPLETED',
  failed: 'TASK_STATE_FAILED',
  canceled: 'TASK_STATE_CANCELED',
  rejected: 'TASK_STATE_REJECTED',
};

export const stateName = (s: TaskState): TaskStateName => STATE_NAMES[s];

export function invalid(field: string, message: string): SwiftletError {
  return new SwiftletError('SWIFTLET_ERR_INVALID_INPUT', `${field}: ${message}`, { field });
}

/** A JSON document sent as a string; undefined for the empty string. */
export function parseJson(text: string, field: string): JSONValue | undefined {
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as JSONValue;
  } catch (err) {
    throw invalid(field, `not a JSON document (${err instanceof Error ? err.message : String(err)})`);
  }
}

/** An agent, skill or tenant name: 1-64 letters, digits, "_" or "-". */
export function checkName(value: string, field: string): string {
  if (!TENANT_PATTERN.test(value)) throw invalid(field, 'expected 1-64 letters, digits, "_" or "-"');
  return value;
}

export function toTarget(msg: TargetMsg | null | undefined, field = 'target'): TaskTarget {
  if (msg?.kind === 'agent') return { agent: checkName(msg.agent ?? '', `${field}.agent`) };
  if (msg?.kind === 'skill') return { skill: checkName(msg.skill ?? '', `${field}.skill`) };
  if (msg?.kind === 'broadcast') {
    const b = msg.broadcast;
    const filter: { skill?: string; agents?: string[] } = {};
    if (b?.skill) filter.skill = checkName(b.skill, `${field}.broadcast.skill`);
    if (b?.agents.length) filter.agents = b.agents.map((a, i) => checkName(a, `${field}.broadcast.agents[${i}]`));
    return Object.keys(filter).length ? { broadcast: true, filter } : { broadcast: true };
  }
  throw invalid(field, 'required: set agent, skill or broadcast');
}

export function toArtifact(msg: ArtifactMsg | null | undefined, field: string): Artifact {
  const name = msg?.name ? { name: msg.name } : {};
  switch (msg?.content) {
    case 'text':
      return { kind: 'text', ...name, text: msg.text ?? '' };
    case 'data_json': {
      const data = parseJson(msg.data_json ?? '', `${field}.data_json`);
      if (data === undefined) throw invalid(`${field}.data_json`, 'empty');
      return { kind: 'data', ...name, data };
    }
    case 'file': {
      const f = msg.file;
      if (!f?.uri) throw invalid(`${field}.file.uri`, 'required');
      return { kind: 'file', ...name, uri: f.uri, mediaType: f.media_type, size: f.size };
    }
    default:
      throw invalid(field, 'set text, data_json or file');
  }
}

function artifactMsg(a: Artifact): ArtifactMsg {
  const name = a.name ?? '';
  if (a.kind === 'text') return { name, text: a.text };
  if (a.kind === 'data') return { name, data_json: JSON.stringify(a.data) };
  return { name, file: { uri: a.uri, media_type: a.mediaType, size: a.size } };
}

function targetMsg(t: TaskTarget): TargetMsg {
  if ('agent' in t) return { agent: t.agent };
  if ('skill' in t) return { skill: t.skill };
  return { broadcast: { skill: t.filter?.skill ?? '', agents: [...(t.filter?.agents ?? [])] } };
}

const json = (v: JSONValue | undefined): string => (v === undefined ? '' : JSON.stringify(v));

export function toTaskMsg(t: TaskRecord): TaskMsg {
  const r = t.result;
  return {
    id: t.id,
    tenant: t.tenant,
    target: targetMsg(t.target),
    text: t.input.text ?? '',
    data_json: json(t.input.data),
    state: STATE_NAMES[t.state],
    attempt: t.attempt,
    max_attempts: t.maxAttempts,
    assignee: t.assignee ?? '',
    priority: t.priority,
    deadline_ms: t.deadline ?? 0,
    idempotency_key: t.idempotencyKey ?? '',
    parent_id: t.parentId ?? '',
    depth: t.depth,
    lease_until_ms: t.leaseUntil ?? 0,
    result: r
      ? {
          message: r.message ?? '',
          artifacts: (r.artifacts ?? []).map(artifactMsg),
          children: (r.children ?? []).map((c) => ({ id: c.id, agent: c.agent, state: STATE_NAMES[c.state] })),
        }
      : null,
    error: t.error ? { code: t.error.code, message: t.error.message } : null,
    requester: { kind: t.requester.kind, id: t.requester.id, session_id: t.requester.sessionId ?? '' },
    created_at_ms: t.createdAt,
    updated_at_ms: t.updatedAt,
    last_seq: t.lastSeq,
  };
}

export function toEventMsg(e: TaskEvent): TaskEventMsg {
  const base = { seq: e.seq, at_ms: e.at };
  if (e.type === 'progress') return { ...base, progress: { text: e.text ?? '', data_json: json(e.data) } };
  if (e.type === 'artifact') return { ...base, artifact: artifactMsg(e.artifact) };
  return {
    ...base,
    state: {
      state: STATE_NAMES[e.state],
      attempt: e.attempt ?? 0,
      assignee: e.assignee ?? '',
      message: e.message ?? '',
      error: e.error ? { code: e.error.code, message: e.error.message } : null,
    },
  };
}
