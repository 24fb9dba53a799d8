// Vercel AI SDK: generateText with the tool and a step-count stop condition, the OpenAI provider's Chat Completions
// model. The SDK keeps no conversation state: the idiomatic history is the caller's array of ModelMessages, the user
// message plus `responseMessages` of each result appended to it.
import { createOpenAI } from '@ai-sdk/openai';
import { generateText, isStepCount, jsonSchema, tool, type JSONSchema7, type ModelMessage } from 'ai';
import { FINAL_TEXT, INSTRUCTIONS, MAX_STEPS, OPENAI_TOOLS, TOOL_NAME, runCurrentTime } from '../../workload.js';
import { windowed } from '../window.js';
import type { CreateContender } from './types.js';

export const MODEL_ID = 'bench-ai-sdk';

export const create: CreateContender = async (o) => {
  const model = createOpenAI({ baseURL: `${o.mockUrl}/v1`, apiKey: 'bench' }).chat(MODEL_ID);
  const spec = OPENAI_TOOLS[0]!.function;
  const tools = {
    [TOOL_NAME]: tool({
      description: spec.description,
      inputSchema: jsonSchema<Record<string, unknown>>(spec.parameters as JSONSchema7),
      execute: async (input) => runCurrentTime(JSON.stringify(input)),
    }),
  };
  const history = new Map<string, ModelMessage[]>();
  return {
    name: 'ai-sdk',
    async turn(sessionId, input) {
      let past = history.get(sessionId);
      if (past === undefined) history.set(sessionId, (past = []));
      const user: ModelMessage = { role: 'user', content: input };
      const result = await generateText({
        model,
        instructions: INSTRUCTIONS,
        messages: [...windowed(past, (m) => m.role === 'user'), user],
        tools,
        stopWhen: isStepCount(MAX_STEPS),
        maxRetries: 0,
      });
      past.push(user, ...result.responseMessages);
      return result.text === FINAL_TEXT;
    },
    close: async () => history.clear(),
  };
};
