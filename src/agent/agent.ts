import {
  SwiftletError,
  type ErrorPayload,
  type ModelRequest,
  type ToolSpec,
  type TurnEndEvent,
  type TurnOutcome,
} from '../core/index.js';
import { LOCAL_TENANT, emptyUsage } from '../core/index.js';
import type { Tool } from '../tools/index.js';
import { buildContext } from './context.js';
import { OutputMeter } from './output-cap.js';
import { takeStep, type CompiledAgent, type Turn } from './steps.js';
import type { Agent, AgentDefinition, EmitEvent, TurnInput } from './types.js';

/** Builds an agent once; it holds no per-session state and serves every session. */
export function createAgent(def: AgentDefinition): Agent {
  const agent = compile(def);
  const toolSpecs: readonly ToolSpec[] = Object.freeze(agent.request.tools ?? []);
  return {
    name: def.name,
    description: def.description,
    toolSpecs,
    run: (input, emit) => runTurn(agent, input, emit),
  };
}

function compile(def: AgentDefinition): CompiledAgent {
  const tools = new Map<string, Tool>();
  for (const tool of def.tools) {
    if (tools.has(tool.name)) {
      throw new SwiftletError('SWIFTLET_ERR_CONFIG_INVALID', `agent "${def.name}" has two tools named "${tool.name}"`, {
        field: `agents.${def.name}.tools`,
      });
    }
    tools.set(tool.name, tool);
  }
  const specs = def.tools.map((tool) => ({ name: tool.name, description: tool.description, parameters: tool.input }));
  const request: Omit<ModelRequest, 'messages'> = {
    model: def.modelId,
    stream: true,
    ...(def.instructions === '' ? {} : { system: def.instructions }),
    ...(specs.length > 0 ? { tools: specs } : {}),
    ...(def.temperature === undefined ? {} : { temperature: def.temperature }),
    ...(def.maxTokens === undefined ? {} : { maxTokens: def.maxTokens }),
  };
  const toolNames = def.tools.length === 0 ? '(none)' : [...tools.keys()].join(', ');
  return { def, tools, toolNames, request, wholeRequest: { ...request, stream: false } };
}

/** The driver: takes steps until one ends the turn. */
async function runTurn(agent: CompiledAgent, input: TurnInput, emit: EmitEvent): Promise<TurnEndEvent> {
  const { def } = agent;
  const messages = buildContext(input.history, def.historyWindow);
  messages.push({ role: 'user', content: input.input });
  const turn: Turn = {
    agent,
    input,
    emit,
    messages,
    request: { ...(input.stream === false ? agent.wholeRequest : agent.request), messages },
    scope: {
      tenant: input.tenant ?? LOCAL_TENANT,
      sessionId: input.sessionId,
      turnId: input.turnId,
      signal: input.signal,
      state: input.state,
      defaultTimeoutMs: def.toolTimeoutMs,
      maxOutputBytes: def.maxToolOutputBytes,
      progress: (callId, name, update) => {
        void emit({ type: 'tool-progress', turnId: input.turnId, step: turn.step, callId, name, ...update });
      },
    },
    step: 0,
    usage: emptyUsage(),
    text: '',
    output: new OutputMeter(def.maxOutputBytes, def.name),
  };
  for (;;) {
    const outcome = await takeStep(turn);
    switch (outcome.kind) {
      case 'final':
        return end(turn, 'final');
      case 'interrupted':
        return end(turn, 'interrupted');
      case 'failed':
        return end(turn, 'failed', outcome.error);
      case 'run_again':
        if (turn.step >= def.maxSteps) return end(turn, 'max_steps');
        break;
    }
  }
}

function end(turn: Turn, outcome: TurnOutcome, error?: ErrorPayload): TurnEndEvent {
  return {
    type: 'turn-end',
    turnId: turn.input.turnId,
    sessionId: turn.input.sessionId,
    outcome,
    text: turn.text,
    usage: turn.usage,
    steps: turn.step,
    ...(error === undefined ? {} : { error }),
  };
}
