// OpenAI Chat Completions: `POST /v1/chat/completions`, streamed as `data: {chunk}` lines ending in `data: [DONE]`.
import { contentText, countWords, hasText, type Reply, type Turn } from './reply.js';
import { CREATED, isRecord, type StreamPlan, type WireFormat } from './wire.js';

const ERROR_TYPES: Record<number, [type: string, code: string | null]> = {
  401: ['invalid_request_error', 'invalid_api_key'],
  404: ['invalid_request_error', 'model_not_found'],
  429: ['requests', 'rate_limit_exceeded'],
};

/** The OpenAI error body: `{"error":{"message","type","param","code"}}`. */
export function openaiError(status: number, message: string, param?: string): string {
  const [type, code] = ERROR_TYPES[status] ?? [status >= 500 ? 'server_error' : 'invalid_request_error', null];
  return JSON.stringify({ error: { message, type, param: param ?? null, code } });
}

export const openaiChat: WireFormat = {
  format: 'openai-chat',

  parse(body) {
    if (!isRecord(body)) return { error: 'The request body must be a JSON object.' };
    const { model, messages } = body;
    if (typeof model !== 'string' || model === '')
      return { error: "Missing required parameter: 'model'.", param: 'model' };
    if (!Array.isArray(messages) || messages.length === 0) {
      return { error: "Missing required parameter: 'messages'.", param: 'messages' };
    }
    let lastUser = -1;
    let step = 0;
    for (let i = messages.length - 1; i >= 0; i--) {
      const m: unknown = messages[i];
      if (!isRecord(m) || typeof m.role !== 'string') {
        return {
          error: `Invalid value for 'messages[${i}]': expected an object with a 'role'.`,
          param: `messages[${i}]`,
        };
      }
      if (lastUser !== -1) continue;
      if (m.role === 'user') lastUser = i;
      else if (m.role === 'assistant') step++;
    }
    const stream = body.stream === true;
    const options = body.stream_options;
    return {
      model,
      stream,
      includeUsage: stream && isRecord(options) && options.include_usage === true,
      step,
      lastUserText: lastUser === -1 ? '' : contentText((messages[lastUser] as { content?: unknown }).content),
      inputTokens: countWords(messages),
      offersTools: Array.isArray(body.tools) && body.tools.length > 0,
    };
  },

  stream(turn, reply, id) {
    const before = `data: {"id":"chatcmpl-${id}","object":"chat.completion.chunk","created":${CREATED},"model":${JSON.stringify(turn.model)},"choices":[`;
    const after = turn.includeUsage ? ',"usage":null}\n\n' : '}\n\n';
    const chunk = (delta: string, finish = 'null'): string =>
      `${before}{"index":0,"delta":${delta},"logprobs":null,"finish_reason":${finish}}]${after}`;

    const frames: string[] = [];
    for (const t of reply.tokensJson) frames.push(chunk(`{"content":${t}}`));
    reply.calls.forEach((call, i) => {
      const start = chunk(
        `{"tool_calls":[{"index":${i},"id":"call_${id}_${i}","type":"function","function":{"name":${call.nameJson},"arguments":""}}]}`,
      );
      call.chunksJson.forEach((args, j) => {
        const delta = chunk(`{"tool_calls":[{"index":${i},"function":{"arguments":${args}}}]}`);
        frames.push(j === 0 ? start + delta : delta);
      });
    });

    let tail = chunk('{}', reply.calls.length > 0 ? '"tool_calls"' : '"stop"');
    if (turn.includeUsage) tail += `${before}],"usage":${usage(turn, reply)}}\n\n`;
    tail += 'data: [DONE]\n\n';
    const head = chunk(`{"role":"assistant","content":${hasText(reply) ? '""' : 'null'}}`);
    return { head, frames, textFrames: reply.tokens.length, tail } satisfies StreamPlan;
  },

  json(turn, reply, id) {
    const message: Record<string, unknown> = {
      role: 'assistant',
      content: hasText(reply) ? reply.text : null,
      refusal: null,
    };
    if (reply.calls.length > 0) {
      message.tool_calls = reply.calls.map((c, i) => ({
        id: `call_${id}_${i}`,
        type: 'function',
        function: { name: c.name, arguments: c.arguments },
      }));
    }
    const finish = reply.calls.length > 0 ? 'tool_calls' : 'stop';
    return (
      `{"id":"chatcmpl-${id}","object":"chat.completion","created":${CREATED},"model":${JSON.stringify(turn.model)},` +
      `"choices":[{"index":0,"message":${JSON.stringify(message)},"logprobs":null,"finish_reason":"${finish}"}],` +
      `"usage":${usage(turn, reply)}}`
    );
  },

  error: openaiError,
};

function usage(turn: Turn, reply: Reply): string {
  const total = turn.inputTokens + reply.outputTokens;
  return `{"prompt_tokens":${turn.inputTokens},"completion_tokens":${reply.outputTokens},"total_tokens":${total}}`;
}
