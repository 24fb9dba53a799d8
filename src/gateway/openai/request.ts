// Checks shared by the OpenAI-compatible routes. Bodies are validated here once, by hand, so every error names the
// exact field the way OpenAI does (`messages[2].content`), and fields OpenAI clients send by habit pass untouched.
import { SwiftletError, isValidSessionId } from '../../core/index.js';
import type { RequestCtx } from '../http.js';

export type Json = Record<string, unknown>;

export function invalid(field: string, message: string): SwiftletError {
  return new SwiftletError('SWIFTLET_ERR_INVALID_INPUT', `${field}: ${message}`, { field });
}

export function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export async function readBody(ctx: RequestCtx): Promise<Json> {
  const body = await ctx.json();
  if (!isObject(body)) throw invalid('body', 'expected a JSON object');
  return body;
}

export function requireString(body: Json, key: string): string {
  const value = body[key];
  if (typeof value !== 'string' || value === '') throw invalid(key, 'expected a non-empty string');
  return value;
}

export function optionalBoolean(body: Json, key: string): boolean {
  const value = body[key];
  if (value === undefined || value === null) return false;
  if (typeof value !== 'boolean') throw invalid(key, 'expected a boolean');
  return value;
}

/** The agent's own tools run on the server; tools defined by the client cannot be offered to the model. */
export function rejectClientTools(body: Json, keys: readonly string[]): void {
  for (const key of keys) {
    const value = body[key];
    if (value === undefined || value === null || (Array.isArray(value) && value.length === 0)) continue;
    throw invalid(
      key,
      "client-defined tools are not supported: the agent's own tools run on the server (see docs/openai-api.md)",
    );
  }
}

/**
 * Text of a message's `content`: a string, null (no text), or an array of text parts whose types are `partTypes`.
 * Images, audio and files are refused by name rather than dropped.
 */
export function contentText(content: unknown, field: string, partTypes: readonly string[]): string {
  if (typeof content === 'string') return content;
  if (content === null || content === undefined) return '';
  if (!Array.isArray(content)) throw invalid(field, 'expected a string or an array of content parts');
  let text = '';
  for (let i = 0; i < content.length; i++) {
    const part: unknown = content[i];
    const at = `${field}[${i}]`;
    if (!isObject(part)) throw invalid(at, 'expected a content part object');
    if (typeof part.type !== 'string' || !partTypes.includes(part.type)) {
      throw invalid(`${at}.type`, `only text content is supported (${partTypes.join(', ')})`);
    }
    if (typeof part.text !== 'string') throw invalid(`${at}.text`, 'expected a string');
    text += part.text;
  }
  return text;
}

export const SESSION_HEADER = 'x-swiftlet-session';

/** The session a request names with `X-Swiftlet-Session`, if any. */
export function sessionHeader(ctx: RequestCtx): string | undefined {
  const value = ctx.req.headers[SESSION_HEADER];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !isValidSessionId(value)) {
    throw new SwiftletError(
      'SWIFTLET_ERR_INVALID_INPUT',
      'X-Swiftlet-Session: 1-128 characters of letters, digits, "_", "-", ".", ":"',
      { field: 'X-Swiftlet-Session' },
    );
  }
  return value;
}

/** Checks that `model` names a configured agent (404 in OpenAI's words otherwise). */
export function requireAgent(agents: ReadonlySet<string>, body: Json): string {
  const model = requireString(body, 'model');
  if (!agents.has(model)) {
    throw new SwiftletError(
      'SWIFTLET_ERR_AGENT_NOT_FOUND',
      `The model \`${model}\` does not exist: no agent by that name`,
      {
        field: 'model',
      },
    );
  }
  return model;
}
