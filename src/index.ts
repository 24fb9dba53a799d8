// The library: `import { createRuntime, defineTool } from 'swiftlet'`.
export {
  createRuntime,
  Runtime,
  type RuntimeOptions,
  type RunRequest,
  type TurnRun,
  type AgentInfo,
} from './runtime/index.js';
export { defineTool, type Tool, type ToolContext, type SessionState } from './tools/index.js';
export { loadConfig, parseConfig, type LoadedConfig, type SwiftletConfig } from './config/index.js';
export { startMockLlm, createModelClient, type MockLlm, type MockLlmOptions, type ModelClient } from './model/index.js';
export { openStore, type SessionStore } from './store/index.js';
export * from './core/index.js';
