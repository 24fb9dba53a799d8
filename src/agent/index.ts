export type { Agent, AgentDefinition, EmitEvent, TurnInput } from './types.js';
export { createAgent } from './agent.js';
export { buildContext } from './context.js';
export { capBytes, INTERRUPTED_OUTPUT, type ToolOutcome } from './tool-call.js';
