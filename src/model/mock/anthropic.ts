// Anthropic Messages: `POST /v1/messages`, streamed as named events (message_start … message_stop).
import { contentText, countWords, hasText, type Reply, type Turn } from './reply.js';
import { isRecord, type StreamPlan, type WireFormat } from './wire.js';

const ERROR_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  529: 'overloaded_error',
};

const MESSAGE_STOP = 'event: message_stop\ndata: {"type":"message_stop"}\n\n';

export const anthropic: WireFormat = {
  format: 'anthropic',

  parse(body) {
    if (!isRecord(body)) return { error: 'The request body must be a JSON object.' };
    const { model, messages, max_tokens: maxTokens } = body;
    if (typeof model !== 'string' || model === '') return { error: 'model: Field required', param: 'model' };
    if (typeof maxTokens !== 'number' || !Number.isInteger(maxTokens) || maxTokens < 1) {
      return { error: 'max_tokens: Field required (a positive integer)', param: 'max_tokens' };
    }
    if (!Array.isArray(messages) || messages.length === 0) {
      return { error: 'messages: Field required (a non-empty array)', param: 'messages' };
    }
    let lastUserText: string | undefined;
    let step = 0;
    for (let i = messages.length - 1; i >= 0; i--) {
      const m: unknown = messages[i];
      if (!isRecord(m) || (m.role !== 'user' && m.role !== 'assistant')) {
        return { error: `messages.${i}.role: Input should be 'user' or 'assistant'`, param: `messages.${i}.role` };
      }
      if (lastUserText !== undefined) continue;
      if (m.role === 'assistant') step++;
      // A user message holding only tool results continues the turn; the turn began at the last one with text.
      else if (!Array.isArray(m.content) || m.content.some((b) => !isRecord(b) || b.type !== 'tool_result')) {
        lastUserText = contentText(m.content);
      }
    }
    return {
      model,
      stream: body.stream === true,
      includeUsage: false,
      step,
      lastUserText: lastUserText ?? '',
      inputTokens: countWords(messages) + countWords(body.system),
      offersTools: Array.isArray(body.tools) && body.tools.length > 0,
    };
  },

  stream(turn, reply, id) {
    const ev = (type: string, data: string): string => `event: ${type}\ndata: {"type":"${type}",${data}}\n\n`;
    let head = ev(
      'message_start',
      `"message":{"id":"msg_${id}","type":"message","role":"assistant","model":${JSON.stringify(turn.model)},` +
        `"content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":${turn.inputTokens},"output_tokens":1}}`,
    );
    const frames: string[] = [];
    let pending = '';
    let index = 0;
    if (hasText(reply)) {
      head += ev('content_block_start', `"index":0,"content_block":{"type":"text","text":""}`);
      for (const t of reply.tokensJson) {
        frames.push(ev('content_block_delta', `"index":0,"delta":{"type":"text_delta","text":${t}}`));
      }
      pending = ev('content_block_stop', `"index":0`);
      index = 1;
    }
    reply.calls.forEach((call, i) => {
      const b = index + i;
      pending += ev(
        'content_block_start',
        `"index":${b},"content_block":{"type":"tool_use","id":"toolu_${id}_${i}","name":${call.nameJson},"input":{}}`,
      );
      for (const args of call.chunksJson) {
        frames.push(
          pending +
            ev('content_block_delta', `"index":${b},"delta":{"type":"input_json_delta","partial_json":${args}}`),
        );
        pending = '';
      }
      pending = ev('content_block_stop', `"index":${b}`);
    });
    const tail =
      pending +
      ev(
        'message_delta',
        `"delta":{"stop_reason":"${stopReason(reply)}","stop_sequence":null},` +
          `"usage":{"input_tokens":${turn.inputTokens},"output_tokens":${reply.outputTokens}}`,
      ) +
      MESSAGE_STOP;
    return { head, frames, textFrames: reply.tokens.length, tail } satisfies StreamPlan;
  },

  json(turn, reply, id) {
    const content: object[] = [];
    if (hasText(reply)) content.push({ type: 'text', text: reply.text });
    reply.calls.forEach((c, i) => {
      content.push({ type: 'tool_use', id: `toolu_${id}_${i}`, name: c.name, input: toolInput(c.arguments) });
    });
    return JSON.stringify({
      id: `msg_${id}`,
      type: 'message',
      role: 'assistant',
      model: turn.model,
      content,
      stop_reason: stopReason(reply),
      stop_sequence: null,
      usage: usage(turn, reply),
    });
  },

  error(status, message) {
    const type = ERROR_TYPES[status] ?? (status >= 500 ? 'api_error' : 'invalid_request_error');
    return JSON.stringify({ type: 'error', error: { type, message } });
  },
};

function stopReason(reply: Reply): string {
  return reply.calls.length > 0 ? 'tool_use' : 'end_turn';
}

function usage(turn: Turn, reply: Reply): { input_tokens: number; output_tokens: number } {
  return { input_tokens: turn.inputTokens, output_tokens: reply.outputTokens };
}

/** The input object; arguments that are not a JSON object (a script testing bad arguments) are passed on raw. */
function toolInput(args: string): unknown {
  try {
    const parsed: unknown = JSON.parse(args);
    return isRecord(parsed) ? parsed : args;
  } catch {
    return args;
  }
}
