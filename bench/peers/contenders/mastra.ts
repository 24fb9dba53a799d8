// Mastra: an Agent with a tool made by createTool, its model reached through Mastra's model router (an OpenAI-compatible
// endpoint, Chat Completions), and Mastra Memory over the in-memory store (InMemoryStore; no network, no file): each
// session is a thread of one resource, and `lastMessages` bounds the history loaded into each call.
import { Agent } from '@mastra/core/agent';
import { InMemoryStore } from '@mastra/core/storage';
import { createTool } from '@mastra/core/tools';
import { Memory } from '@mastra/memory';
import type { JSONSchema7 } from 'json-schema';
import {
  FINAL_TEXT,
  HISTORY_WINDOW,
  INSTRUCTIONS,
  MAX_STEPS,
  OPENAI_TOOLS,
  TOOL_NAME,
  runCurrentTime,
} from '../../workload.js';
import type { CreateContender } from './types.js';

export const MODEL_ID = 'bench-mastra';

/**
 * Mastra stores a turn as two messages (the user's; one assistant message holding the tool call, its result and the
 * answer) and sends them as the four Chat Completions messages the others send. The other contenders' window of
 * HISTORY_WINDOW messages holds floor(HISTORY_WINDOW / 4) whole past turns, so Mastra loads twice that many stored
 * messages: the same requests, message for message (checked against the mock's request log).
 */
const LAST_MESSAGES = 2 * Math.floor(HISTORY_WINDOW / 4);

export const create: CreateContender = async (o) => {
  const spec = OPENAI_TOOLS[0]!.function;
  const agent = new Agent({
    id: 'bench',
    name: 'bench',
    instructions: INSTRUCTIONS,
    // Mastra's model router with an OpenAI-compatible endpoint: its documented way to reach a custom base URL.
    model: { id: `openai/${MODEL_ID}`, url: `${o.mockUrl}/v1`, apiKey: 'bench', api: 'chat' },
    tools: {
      [TOOL_NAME]: createTool({
        id: TOOL_NAME,
        description: spec.description,
        inputSchema: spec.parameters as JSONSchema7,
        execute: async (input) => runCurrentTime(JSON.stringify(input)),
      }),
    },
    memory: new Memory({
      storage: new InMemoryStore(),
      options: { lastMessages: LAST_MESSAGES, generateTitle: false },
    }),
  });
  return {
    name: 'mastra',
    async turn(sessionId, input) {
      const result = await agent.generate(input, {
        memory: { thread: sessionId, resource: 'bench' },
        maxSteps: MAX_STEPS,
        modelSettings: { maxRetries: 0 },
      });
      return result.text === FINAL_TEXT;
    },
    close: async () => undefined,
  };
};
