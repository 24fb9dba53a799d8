// The body of POST /v1/responses, and the session it continues.
import { SwiftletError } from '../../core/index.js';
import type { RequestCtx } from '../http.js';
import type { GatewayContext } from '../types.js';
import {
  contentText,
  invalid,
  isObject,
  optionalBoolean,
  readBody,
  rejectClientTools,
  requireAgent,
  sessionHeader,
} from './request.js';
import { parseResponseId, responseId } from './response-id.js';

const INPUT_PARTS = ['input_text', 'output_text', 'text'] as const;

export interface ResponsesRequest {
  agent: string;
  input: string;
  stream: boolean;
  /** The session continued (from `previous_response_id` or X-Swiftlet-Session); absent for a new one. */
  sessionId?: string;
  previousResponseId: string | null;
}

export async function parseResponsesRequest(
  gw: GatewayContext,
  ctx: RequestCtx,
  agents: ReadonlySet<string>,
): Promise<ResponsesRequest> {
  const body = await readBody(ctx);
  const agent = requireAgent(agents, body);
  rejectClientTools(body, ['tools']);
  const input = lastUserText(body.input);
  const stream = optionalBoolean(body, 'stream');
  const header = sessionHeader(ctx);
  const previous = body.previous_response_id;
  if (previous === undefined || previous === null) {
    return { agent, input, stream, previousResponseId: null, ...(header === undefined ? {} : { sessionId: header }) };
  }
  if (typeof previous !== 'string') throw invalid('previous_response_id', 'expected a string');
  const ref = parseResponseId(previous);
  if (!ref) throw invalid('previous_response_id', 'not a response id made by this server');
  if (header !== undefined && header !== ref.sessionId) {
    throw invalid('previous_response_id', 'names another session than X-Swiftlet-Session');
  }
  await checkLatest(gw, ctx, ref.sessionId, ref.turnId, previous);
  return { agent, input, stream, previousResponseId: previous, sessionId: ref.sessionId };
}

/** `input`: a string, or a list of items whose last user message is the input (earlier items are not used). */
function lastUserText(input: unknown): string {
  let text: string;
  if (typeof input === 'string') text = input;
  else if (Array.isArray(input)) {
    let found = -1;
    for (let i = 0; i < input.length; i++) {
      const item: unknown = input[i];
      if (!isObject(item)) throw invalid(`input[${i}]`, 'expected an item object');
      if ((item.type === undefined || item.type === 'message') && item.role === 'user') found = i;
    }
    if (found === -1) throw invalid('input', 'expected a user message');
    text = contentText((input[found] as { content?: unknown }).content, `input[${found}].content`, INPUT_PARTS);
  } else throw invalid('input', 'expected a string or a list of input items');
  if (text === '') throw invalid('input', 'the input must not be empty');
  return text;
}

/**
 * A session log does not branch: a conversation continues only from its latest response. The check costs one read of
 * the session's last entry, which is the previous turn's `turn_end`. The session is looked up in the caller's tenant
 * and must be of an agent the caller may use before anything about it is told: otherwise it is unknown.
 */
async function checkLatest(
  gw: GatewayContext,
  ctx: RequestCtx,
  sessionId: string,
  turnId: string,
  id: string,
): Promise<void> {
  const tenant = ctx.caller.tenant;
  const info = await gw.runtime.getSession(sessionId, { tenant });
  const allowed = ctx.caller.key?.agents;
  const visible = info !== undefined && (allowed === undefined || allowed.includes(info.agent));
  const [last] = visible ? await gw.runtime.entries(sessionId, { tenant, tail: true, limit: 1 }) : [];
  if (!last) {
    throw new SwiftletError('SWIFTLET_ERR_NOT_FOUND', `previous_response_id: no response ${id}`, {
      field: 'previous_response_id',
    });
  }
  if (last.turnId !== turnId) {
    const latest = last.type === 'turn_end' ? `; the latest is ${responseId(sessionId, last.turnId)}` : '';
    throw invalid(
      'previous_response_id',
      `a conversation continues only from its latest response (conversations do not branch)${latest}`,
    );
  }
}
