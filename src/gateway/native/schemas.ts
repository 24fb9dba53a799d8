// Request validation at the edge: bodies with zod (built once, here), query parameters by hand. Every error names
// the field at fault.
import { z } from 'zod';
import { SwiftletError, type JSONValue } from '../../core/index.js';
import { parseId, type EventId } from './event-ids.js';

const agentName = z.string().min(1).max(128);

export const createSessionBody = z.strictObject({
  agent: agentName.optional().meta({ description: 'Agent of the session (default: the only or first agent).' }),
  metadata: z.record(z.string(), z.json()).optional().meta({ description: 'Free-form JSON stored with the session.' }),
});

export const turnBody = z.strictObject({
  input: z.string().min(1).meta({ description: 'The user message.' }),
  agent: agentName.optional().meta({ description: "Must be the session's agent when given." }),
});

export type CreateSessionBody = { agent?: string; metadata?: { [key: string]: JSONValue } };
export type TurnBody = z.output<typeof turnBody>;

const INT32 = 2 ** 31 - 1;
const TARGET_KINDS = ['agent', 'skill', 'broadcast'] as const;

export const taskTargetBody = z
  .strictObject({
    agent: agentName.optional().meta({ description: 'One agent, by name.' }),
    skill: agentName.optional().meta({ description: 'Exactly one of the agents offering this skill.' }),
    broadcast: z.literal(true).optional().meta({ description: 'Every agent (one child task each).' }),
    filter: z
      .strictObject({
        skill: agentName.optional().meta({ description: 'Only agents offering this skill.' }),
        agents: z.array(agentName).min(1).max(256).optional().meta({ description: 'Only these agents.' }),
      })
      .optional()
      .meta({ description: 'broadcast only: which agents receive it.' }),
  })
  .superRefine((t, issues) => {
    const given = TARGET_KINDS.filter((k) => t[k] !== undefined);
    if (given.length !== 1) {
      issues.addIssue({
        code: 'custom',
        path: given.length > 1 ? [given[1]!] : [],
        message: 'give exactly one of agent, skill or broadcast: true',
      });
    }
    if (t.filter !== undefined && t.broadcast === undefined) {
      issues.addIssue({ code: 'custom', path: ['filter'], message: 'only with broadcast: true' });
    }
  });

export const createTaskBody = z.strictObject({
  target: taskTargetBody.meta({ description: 'Where the task goes: {agent}, {skill} or {broadcast: true, filter?}.' }),
  input: z
    .strictObject({
      text: z.string().min(1).optional().meta({ description: 'What the task asks, as text.' }),
      data: z.json().optional().meta({ description: 'What the task asks, as JSON.' }),
    })
    .refine((i) => i.text !== undefined || i.data !== undefined, { message: 'give text, data or both' }),
  priority: z
    .int()
    .min(-INT32)
    .max(INT32)
    .optional()
    .meta({ description: 'Higher runs first (default 0); ties in order of arrival.' }),
  deadline: z
    .union([z.string(), z.number()])
    .optional()
    .meta({ description: 'ISO 8601 time or epoch milliseconds, in the future.' }),
  idempotencyKey: z
    .string()
    .min(1)
    .max(128)
    .optional()
    .meta({ description: 'A second POST with this key (in the tenant) returns the first task, 200.' }),
  parentId: z.string().min(1).max(128).optional().meta({ description: 'The task this one was made for.' }),
});

export const cancelTaskBody = z.strictObject({
  reason: z.string().min(1).max(1000).optional().meta({ description: "Recorded with the task's canceled state." }),
});

export type CreateTaskBody = {
  target: { agent?: string; skill?: string; broadcast?: true; filter?: { skill?: string; agents?: string[] } };
  input: { text?: string; data?: JSONValue };
  priority?: number;
  deadline?: string | number;
  idempotencyKey?: string;
  parentId?: string;
};
export type CancelTaskBody = z.output<typeof cancelTaskBody>;

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})$/i;

/** A deadline as epoch ms: an ISO 8601 time with its offset, or epoch milliseconds; it must be in the future. */
export function parseDeadline(value: string | number, now = Date.now()): number {
  const ms = typeof value === 'number' ? value : ISO_TIME.test(value) ? Date.parse(value) : NaN;
  if (!Number.isSafeInteger(ms)) {
    throw new SwiftletError(
      'SWIFTLET_ERR_INVALID_INPUT',
      'deadline: expected an ISO 8601 time with its offset (2030-01-02T03:04:05Z) or epoch milliseconds',
      { field: 'deadline' },
    );
  }
  if (ms <= now) {
    throw new SwiftletError('SWIFTLET_ERR_INVALID_INPUT', 'deadline: must be in the future', { field: 'deadline' });
  }
  return ms;
}

/** Validates a parsed JSON body; the error names the first offending field (`metadata.x`, `input`, `body`). */
export function parseBody<T>(schema: z.ZodType<T>, value: unknown): T {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issues = r.error.issues.map((i) => {
    const path = i.code === 'unrecognized_keys' ? [...i.path, i.keys[0] ?? ''] : i.path;
    const field = path.length === 0 ? 'body' : path.map(String).join('.');
    const message =
      i.code === 'unrecognized_keys'
        ? 'unknown field'
        : i.code === 'invalid_type' && i.message.endsWith('received undefined')
          ? 'required'
          : i.message;
    return { path: field, message };
  });
  const first = issues[0]!;
  throw new SwiftletError('SWIFTLET_ERR_INVALID_INPUT', `${first.path}: ${first.message}`, {
    field: first.path,
    ...(issues.length > 1 ? { issues } : {}),
  });
}

export function intParam(q: URLSearchParams, name: string, min: number, max: number): number | undefined {
  const text = q.get(name);
  if (text === null) return undefined;
  const n = Number(text);
  if (text === '' || !Number.isInteger(n) || n < min || n > max) {
    throw new SwiftletError('SWIFTLET_ERR_INVALID_INPUT', `${name}: expected an integer from ${min} to ${max}`, {
      field: name,
    });
  }
  return n;
}

export function boolParam(q: URLSearchParams, name: string): boolean {
  const text = q.get(name);
  if (text === null || text === 'false' || text === '0') return false;
  if (text === '' || text === 'true' || text === '1') return true;
  throw new SwiftletError('SWIFTLET_ERR_INVALID_INPUT', `${name}: expected true or false`, { field: name });
}

/** The Last-Event-ID header, else the `lastEventId` query parameter (for clients that cannot set headers). */
export function lastEventId(
  headers: Record<string, string | string[] | undefined>,
  q: URLSearchParams,
): EventId | undefined {
  const header = headers['last-event-id'];
  const text = typeof header === 'string' ? header : q.get('lastEventId');
  if (text === null || text === '') return undefined;
  const id = parseId(text.trim());
  if (!id) {
    throw new SwiftletError('SWIFTLET_ERR_INVALID_INPUT', `Last-Event-ID: "${text}" is not an event id of this API`, {
      field: typeof header === 'string' ? 'Last-Event-ID' : 'lastEventId',
    });
  }
  return id;
}

export function wantsEventStream(accept: string | undefined): boolean {
  return accept !== undefined && accept.includes('text/event-stream');
}
