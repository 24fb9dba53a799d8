// OpenAI Agents JS: an Agent with a function tool, run by a Runner against the Chat Completions model
// (OpenAIChatCompletionsModel over an `openai` client pointed at the mock). History is the SDK's Session: one
// MemorySession per session id, the window applied by `sessionInputCallback`. Tracing is off (it would export to
// OpenAI's servers).
import OpenAI from 'openai';
import {
  Agent,
  MemorySession,
  OpenAIChatCompletionsModel,
  Runner,
  setTracingDisabled,
  tool,
  type AgentInputItem,
} from '@openai/agents';
import { FINAL_TEXT, INSTRUCTIONS, MAX_STEPS, OPENAI_TOOLS, TOOL_NAME, runCurrentTime } from '../../workload.js';
import { windowed } from '../window.js';
import type { CreateContender, JsonObjectSchema } from './types.js';

export const MODEL_ID = 'bench-openai-agents';

const isUser = (item: AgentInputItem): boolean => 'role' in item && item.role === 'user';

export const create: CreateContender = async (o) => {
  setTracingDisabled(true);
  const client = new OpenAI({ baseURL: `${o.mockUrl}/v1`, apiKey: 'bench', maxRetries: 0 });
  const spec = OPENAI_TOOLS[0]!.function;
  const agent = new Agent({
    name: 'bench',
    instructions: INSTRUCTIONS,
    model: new OpenAIChatCompletionsModel(client, MODEL_ID),
    tools: [
      tool({
        name: TOOL_NAME,
        description: spec.description,
        parameters: { ...(spec.parameters as JsonObjectSchema), additionalProperties: true, required: [] },
        strict: false,
        execute: async (input) => runCurrentTime(typeof input === 'string' ? input : JSON.stringify(input)),
      }),
    ],
  });
  const runner = new Runner({ tracingDisabled: true });
  const sessions = new Map<string, MemorySession>();
  const sessionInputCallback = (past: AgentInputItem[], added: AgentInputItem[]): AgentInputItem[] => [
    ...windowed(past, isUser),
    ...added,
  ];
  return {
    name: 'openai-agents',
    async turn(sessionId, input) {
      let session = sessions.get(sessionId);
      if (session === undefined) sessions.set(sessionId, (session = new MemorySession({ sessionId })));
      const result = await runner.run(agent, input, { session, maxTurns: MAX_STEPS, sessionInputCallback });
      return result.finalOutput === FINAL_TEXT;
    },
    close: async () => sessions.clear(),
  };
};
