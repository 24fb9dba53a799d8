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
