// POST /v1/responses: every response is a turn on a stored session; `previous_response_id` continues it.
import type { SwiftletError, TurnEndEvent } from '../../core/index.js';
import { sendError, sendJson, type RequestCtx } from '../http.js';
import type { GatewayContext } from '../types.js';
import { SESSION_HEADER } from './request.js';
import { parseResponsesRequest, type ResponsesRequest } from './responses-request.js';
import { responseId } from './response-id.js';
import { SseWriter } from './sse.js';
import { openAiError } from '../http.js';
import { runTurn, turnError } from './turn.js';

interface Shape {
  id: string;
  msgId: string;
  created: number;
  req: ResponsesRequest;
}

export async function createResponse(gw: GatewayContext, ctx: RequestCtx, agents: ReadonlySet<string>): Promise<void> {
  const req = await parseResponsesRequest(gw, ctx, agents);
  const created = Math.floor(Date.now() / 1000);
  const spec = {
    agent: req.agent,
    input: req.input,
    ...(req.sessionId === undefined ? {} : { sessionId: req.sessionId }),
  };
  const shapeOf = (sessionId: string, turnId: string): Shape => ({
    id: responseId(sessionId, turnId),
    msgId: `msg_${turnId}`,
    created,
    req,
  });
  if (!req.stream) {
    const out = await runTurn(gw, ctx, spec, {});
    if (ctx.signal.aborted) return;
    const err = turnError(out.end);
    if (err) return sendError(ctx.res, err, 'openai');
    const body = response(shapeOf(out.sessionId, out.turnId), out.text, out.end);
    sendJson(ctx.res, 200, body, { [SESSION_HEADER]: out.sessionId });
    return;
  }

  let sse: SseWriter | undefined;
  let shape: Shape | undefined;
  let seq = 0;
  const send = (type: string, fields: object): Promise<void> | undefined =>
    sse?.send({ type, sequence_number: seq++, ...fields }, type);
  const begin = async (sessionId: string, turnId: string): Promise<void> => {
    shape = shapeOf(sessionId, turnId);
    sse = new SseWriter(ctx.res, gw.options.sseHeartbeatMs, { [SESSION_HEADER]: sessionId });
    const started = response(shape, '', undefined);
    await send('response.created', { response: started });
    await send('response.in_progress', { response: started });
    await send('response.output_item.added', { output_index: 0, item: message(shape.msgId, undefined, 'in_progress') });
    await send('response.content_part.added', { ...at(shape), part: textPart('') });
  };
  const out = await runTurn(gw, ctx, spec, {
    open: begin,
    text: (delta) => send('response.output_text.delta', { ...at(shape!), delta, logprobs: [] }),
  });
  if (ctx.signal.aborted) {
    sse?.end();
    return;
  }
  const err = turnError(out.end);
  if (err && !sse) return sendError(ctx.res, err, 'openai');
  if (!sse) await begin(out.sessionId, out.turnId);
  const s = shape!;
  await send('response.output_text.done', { ...at(s), text: out.text, logprobs: [] });
  await send('response.content_part.done', { ...at(s), part: textPart(out.text) });
  await send('response.output_item.done', { output_index: 0, item: message(s.msgId, out.text, 'completed') });
  const final = response(s, out.text, out.end, err);
  const event = err ? 'response.failed' : final.status === 'incomplete' ? 'response.incomplete' : 'response.completed';
  await send(event, { response: final });
  sse!.end();
}

function at(s: Shape): { item_id: string; output_index: number; content_index: number } {
  return { item_id: s.msgId, output_index: 0, content_index: 0 };
}

function textPart(text: string): object {
  return { type: 'output_text', text, annotations: [], logprobs: [] };
}

function message(id: string, text: string | undefined, status: 'in_progress' | 'completed'): object {
  return { id, type: 'message', status, role: 'assistant', content: text === undefined ? [] : [textPart(text)] };
}

/** The Response object; `end` absent while the turn runs. */
function response(s: Shape, text: string, end: TurnEndEvent | undefined, err?: SwiftletError) {
  const status = !end ? 'in_progress' : err ? 'failed' : end.outcome === 'max_steps' ? 'incomplete' : 'completed';
  const error = err ? openAiError(err) : undefined;
  return {
    id: s.id,
    object: 'response',
    created_at: s.created,
    status,
    background: false,
    error: error ? { code: error.code, message: error.message } : null,
    // A turn stopped by its step limit is the nearest thing this API has to running out of output tokens.
    incomplete_details: status === 'incomplete' ? { reason: 'max_output_tokens' } : null,
    instructions: null,
    max_output_tokens: null,
    model: s.req.agent,
    output: end ? [message(s.msgId, text, 'completed')] : [],
    parallel_tool_calls: false,
    previous_response_id: s.req.previousResponseId,
    store: true,
    temperature: null,
    text: { format: { type: 'text' } },
    tool_choice: 'auto',
    tools: [],
    top_p: null,
    truncation: 'disabled',
    usage: end
      ? {
          input_tokens: end.usage.inputTokens,
          input_tokens_details: { cached_tokens: 0 },
          output_tokens: end.usage.outputTokens,
          output_tokens_details: { reasoning_tokens: 0 },
          total_tokens: end.usage.inputTokens + end.usage.outputTokens,
        }
      : null,
    metadata: {},
  };
}
