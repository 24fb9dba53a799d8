// POST /v1/chat/completions: the model is the agent; stateless on the client's history, or stateful on the session
// named by X-Swiftlet-Session.
import { sendError, sendJson, type RequestCtx } from '../http.js';
import type { GatewayContext } from '../types.js';
import { parseMessages } from './messages.js';
import { SseWriter } from './sse.js';
import {
  SESSION_HEADER,
  invalid,
  isObject,
  optionalBoolean,
  readBody,
  rejectClientTools,
  requireAgent,
  sessionHeader,
} from './request.js';
import { openAiError } from '../http.js';
import { runTurn, turnError, usageOf, type TurnSpec } from './turn.js';

interface ChatRequest {
  spec: TurnSpec;
  stream: boolean;
  includeUsage: boolean;
}

export async function parseChatRequest(ctx: RequestCtx, agents: ReadonlySet<string>): Promise<ChatRequest> {
  const body = await readBody(ctx);
  const agent = requireAgent(agents, body);
  rejectClientTools(body, ['tools', 'functions']);
  if (body.n !== undefined && body.n !== null && body.n !== 1)
    throw invalid('n', 'only one choice (n: 1) is supported');
  const { input, history } = parseMessages(body.messages);
  const stream = optionalBoolean(body, 'stream');
  const options = body.stream_options;
  if (options !== undefined && options !== null && !isObject(options))
    throw invalid('stream_options', 'expected an object');
  const includeUsage = isObject(options) && options.include_usage === true;
  const sessionId = sessionHeader(ctx);
  // A named session keeps its own history: only the last user message is new.
  const spec: TurnSpec = sessionId === undefined ? { agent, input, history } : { agent, input, sessionId };
  return { spec, stream, includeUsage };
}

export async function chatCompletions(gw: GatewayContext, ctx: RequestCtx, agents: ReadonlySet<string>): Promise<void> {
  const chat = await parseChatRequest(ctx, agents);
  const created = Math.floor(Date.now() / 1000);
  const headers: Record<string, string> =
    chat.spec.sessionId === undefined ? {} : { [SESSION_HEADER]: chat.spec.sessionId };
  if (!chat.stream) {
    const out = await runTurn(gw, ctx, chat.spec, {});
    if (ctx.signal.aborted) return;
    const err = turnError(out.end);
    if (err) return sendError(ctx.res, err, 'openai');
    sendJson(
      ctx.res,
      200,
      {
        id: `chatcmpl-${out.turnId}`,
        object: 'chat.completion',
        created,
        model: chat.spec.agent,
        choices: [
          {
            index: 0,
            message: { role: 'assistant', content: out.text, refusal: null, annotations: [] },
            logprobs: null,
            finish_reason: out.end.outcome === 'max_steps' ? 'length' : 'stop',
          },
        ],
        usage: usageOf(out.end),
        system_fingerprint: null,
      },
      headers,
    );
    return;
  }

  let sse: SseWriter | undefined;
  let id = '';
  const usageField = chat.includeUsage ? { usage: null } : {};
  const chunk = (delta: object, finishReason: string | null): object => ({
    id,
    object: 'chat.completion.chunk',
    created,
    model: chat.spec.agent,
    system_fingerprint: null,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
    ...usageField,
  });
  const out = await runTurn(gw, ctx, chat.spec, {
    open: (_sessionId, turnId) => {
      id = `chatcmpl-${turnId}`;
      sse = new SseWriter(ctx.res, gw.options.sseHeartbeatMs, headers);
      return sse.send(chunk({ role: 'assistant', content: '', refusal: null }, null));
    },
    text: (piece) => sse?.send(chunk({ content: piece }, null)),
  });
  if (ctx.signal.aborted) {
    sse?.end();
    return;
  }
  const err = turnError(out.end);
  if (err && !sse) return sendError(ctx.res, err, 'openai');
  if (!sse) {
    // The turn answered with no text at all: the stream still has its opening chunk.
    id = `chatcmpl-${out.turnId}`;
    sse = new SseWriter(ctx.res, gw.options.sseHeartbeatMs, headers);
    await sse.send(chunk({ role: 'assistant', content: '', refusal: null }, null));
  }
  if (err) {
    await sse.send({ error: openAiError(err) });
  } else {
    await sse.send(chunk({}, out.end.outcome === 'max_steps' ? 'length' : 'stop'));
    if (chat.includeUsage) {
      await sse.send({
        id,
        object: 'chat.completion.chunk',
        created,
        model: chat.spec.agent,
        system_fingerprint: null,
        choices: [],
        usage: usageOf(out.end),
      });
    }
  }
  await sse.done();
  sse.end();
}
