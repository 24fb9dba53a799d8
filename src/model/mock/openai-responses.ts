// OpenAI Responses: `POST /v1/responses`, streamed as named events (`event: response.output_text.delta` …).
import { openaiError } from './openai-chat.js';
import { contentText, countWords, hasText, type Reply, type Turn } from './reply.js';
import { CREATED, isRecord, type StreamPlan, type WireFormat } from './wire.js';

/** Stored responses (for `previous_response_id`), oldest forgotten first. */
const MAX_STORED = 50_000;

interface Stored {
  step: number;
  lastUserText: string;
}

export function createOpenaiResponses(): WireFormat {
  const stored = new Map<string, Stored>();

  function remember(id: string, turn: Stored): void {
    if (stored.size >= MAX_STORED) stored.delete(stored.keys().next().value as string);
    stored.set(id, { step: turn.step, lastUserText: turn.lastUserText.slice(0, 40) });
  }

  return {
    format: 'openai-responses',

    parse(body, requestId) {
      if (!isRecord(body)) return { error: 'The request body must be a JSON object.' };
      const { model, input, previous_response_id: previous } = body;
      if (typeof model !== 'string' || model === '')
        return { error: "Missing required parameter: 'model'.", param: 'model' };
      if (input === undefined && previous === undefined) {
        return { error: "Missing required parameter: 'input'.", param: 'input' };
      }
      if (input !== undefined && typeof input !== 'string' && !Array.isArray(input)) {
        return { error: "Invalid type for 'input': expected a string or an array of items.", param: 'input' };
      }
      let step = 0;
      let lastUserText: string | undefined;
      if (typeof input === 'string') lastUserText = input;
      else if (input !== undefined) {
        // Assistant steps are runs of assistant output items (messages, function calls) between tool outputs.
        let inStep = false;
        for (let i = input.length - 1; i >= 0; i--) {
          const item: unknown = input[i];
          if (!isRecord(item))
            return { error: `Invalid type for 'input[${i}]': expected an object.`, param: `input[${i}]` };
          if (item.role === 'user' && (item.type === undefined || item.type === 'message')) {
            lastUserText = contentText(item.content);
            break;
          }
          const assistant = item.role === 'assistant' || item.type === 'function_call' || item.type === 'reasoning';
          if (assistant && !inStep) step++;
          inStep = assistant;
        }
      }
      if (lastUserText === undefined && previous !== undefined) {
        const prior = typeof previous === 'string' ? stored.get(previous) : undefined;
        if (prior === undefined) {
          return { error: `Previous response with id '${String(previous)}' not found.`, param: 'previous_response_id' };
        }
        step += prior.step + 1;
        lastUserText = prior.lastUserText;
      }
      const turn: Turn = {
        model,
        stream: body.stream === true,
        includeUsage: false,
        step,
        lastUserText: lastUserText ?? '',
        inputTokens: countWords(input) + countWords(body.instructions),
        offersTools: Array.isArray(body.tools) && body.tools.length > 0,
      };
      if (body.store !== false) remember(`resp_${requestId}`, turn);
      return turn;
    },

    stream(turn, reply, id) {
      let seq = 0;
      const ev = (type: string, rest: string): string =>
        `event: ${type}\ndata: {"type":"${type}","sequence_number":${seq++},${rest}}\n\n`;
      const output = outputItems(reply, id);
      const model = JSON.stringify(turn.model);
      const inProgress = `"response":${response(id, model, 'in_progress', '[]', 'null')}`;
      let head = ev('response.created', inProgress) + ev('response.in_progress', inProgress);
      const frames: string[] = [];
      let pending = '';
      let index = 0;
      if (hasText(reply)) {
        const msg = `"item_id":"msg_${id}","output_index":0,"content_index":0`;
        const part = JSON.stringify({ type: 'output_text', annotations: [], text: reply.text });
        head +=
          ev(
            'response.output_item.added',
            `"output_index":0,"item":{"id":"msg_${id}","type":"message","status":"in_progress","content":[],"role":"assistant"}`,
          ) + ev('response.content_part.added', `${msg},"part":{"type":"output_text","annotations":[],"text":""}`);
        for (const t of reply.tokensJson)
          frames.push(ev('response.output_text.delta', `${msg},"delta":${t},"logprobs":[]`));
        pending =
          ev('response.output_text.done', `${msg},"text":${JSON.stringify(reply.text)},"logprobs":[]`) +
          ev('response.content_part.done', `${msg},"part":${part}`) +
          ev('response.output_item.done', `"output_index":0,"item":${JSON.stringify(output[0])}`);
        index = 1;
      }
      reply.calls.forEach((call, i) => {
        const o = index + i;
        const item = `"item_id":"fc_${id}_${i}","output_index":${o}`;
        pending += ev(
          'response.output_item.added',
          `"output_index":${o},"item":{"id":"fc_${id}_${i}","type":"function_call","status":"in_progress","arguments":"","call_id":"call_${id}_${i}","name":${call.nameJson}}`,
        );
        for (const args of call.chunksJson) {
          frames.push(pending + ev('response.function_call_arguments.delta', `${item},"delta":${args}`));
          pending = '';
        }
        pending =
          ev('response.function_call_arguments.done', `${item},"arguments":${JSON.stringify(call.arguments)}`) +
          ev('response.output_item.done', `"output_index":${o},"item":${JSON.stringify(output[o])}`);
      });
      const done = response(id, model, 'completed', JSON.stringify(output), usage(turn, reply));
      const tail = pending + ev('response.completed', `"response":${done}`);
      return { head, frames, textFrames: reply.tokens.length, tail } satisfies StreamPlan;
    },

    json(turn, reply, id) {
      return response(
        id,
        JSON.stringify(turn.model),
        'completed',
        JSON.stringify(outputItems(reply, id)),
        usage(turn, reply),
      );
    },

    error: openaiError,

    reset() {
      stored.clear();
    },
  };
}

function response(id: number, model: string, status: string, output: string, usage: string): string {
  return (
    `{"id":"resp_${id}","object":"response","created_at":${CREATED},"status":"${status}","error":null,` +
    `"incomplete_details":null,"model":${model},"output":${output},"parallel_tool_calls":true,` +
    `"tool_choice":"auto","tools":[],"usage":${usage}}`
  );
}

function outputItems(reply: Reply, id: number): object[] {
  const out: object[] = [];
  if (hasText(reply)) {
    const content = [{ type: 'output_text', annotations: [], text: reply.text }];
    out.push({ id: `msg_${id}`, type: 'message', status: 'completed', content, role: 'assistant' });
  }
  reply.calls.forEach((c, i) => {
    out.push({
      id: `fc_${id}_${i}`,
      type: 'function_call',
      status: 'completed',
      arguments: c.arguments,
      call_id: `call_${id}_${i}`,
      name: c.name,
    });
  });
  return out;
}

function usage(turn: Turn, reply: Reply): string {
  return (
    `{"input_tokens":${turn.inputTokens},"input_tokens_details":{"cached_tokens":0},` +
    `"output_tokens":${reply.outputTokens},"output_tokens_details":{"reasoning_tokens":0},` +
    `"total_tokens":${turn.inputTokens + reply.outputTokens}}`
  );
}
