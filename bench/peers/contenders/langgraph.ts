// LangGraph.js: the prebuilt ReAct agent (createReactAgent) over ChatOpenAI (Chat Completions), with a MemorySaver
// checkpointer so that each session is a thread whose state the graph restores. The window is applied by the
// `prompt` function, which builds what the model sees from the thread's messages.
import { MemorySaver } from '@langchain/langgraph';
import { createReactAgent } from '@langchain/langgraph/prebuilt';
import { ChatOpenAI } from '@langchain/openai';
import { HumanMessage, SystemMessage, type BaseMessage } from '@langchain/core/messages';
import { tool } from '@langchain/core/tools';
import { FINAL_TEXT, INSTRUCTIONS, MAX_STEPS, OPENAI_TOOLS, TOOL_NAME, runCurrentTime } from '../../workload.js';
import { windowed } from '../window.js';
import type { CreateContender, JsonObjectSchema } from './types.js';

export const MODEL_ID = 'bench-langgraph';

const isUser = (m: BaseMessage): boolean => HumanMessage.isInstance(m);

export const create: CreateContender = async (o) => {
  const llm = new ChatOpenAI({
    model: MODEL_ID,
    apiKey: 'bench',
    configuration: { baseURL: `${o.mockUrl}/v1` },
    maxRetries: 0,
  });
  const spec = OPENAI_TOOLS[0]!.function;
  const currentTime = tool(async (input: unknown) => runCurrentTime(JSON.stringify(input)), {
    name: TOOL_NAME,
    description: spec.description,
    schema: spec.parameters as JsonObjectSchema,
  });
  const system = new SystemMessage(INSTRUCTIONS);
  const checkpointer = new MemorySaver();
  const agent = createReactAgent({
    llm,
    tools: [currentTime],
    checkpointSaver: checkpointer,
    prompt: (state: { messages: BaseMessage[] }) => {
      const all = state.messages;
      let current = all.length - 1;
      while (current > 0 && !isUser(all[current]!)) current--;
      return [system, ...windowed(all.slice(0, current), isUser), ...all.slice(current)];
    },
  });
  return {
    name: 'langgraph',
    async turn(sessionId, input) {
      const out = await agent.invoke(
        { messages: [new HumanMessage(input)] },
        // A step of the loop is two graph steps (model, tools), plus the final model step.
        { configurable: { thread_id: sessionId }, recursionLimit: 2 * MAX_STEPS + 1 },
      );
      const last = out.messages.at(-1);
      return last !== undefined && last.content === FINAL_TEXT;
    },
    // MemorySaver holds no handle to release; its threads go with the process.
    close: async () => undefined,
  };
};
