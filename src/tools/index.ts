export type { ParseResult, SessionState, Tool, ToolContext, ToolProgress } from './types.js';
export { confine, isInside, workspaceRoot } from './workspace.js';
export { defineTool, formatIssues, type ToolDefinition } from './define.js';
export { createBuiltinTool, BUILTIN_TOOL_NAMES, type BuiltinToolName, type BuiltinToolSpec } from './builtin.js';
export { createTodoTool, readTodos, TODO_STATE_KEY } from './todo.js';
export { createCurrentTimeTool, currentTime, type CurrentTime } from './current-time.js';
export { createHttpFetchTool, type HttpFetchOptions, type HttpFetchResult } from './http-fetch.js';
export { HostAllowlist } from './host-allowlist.js';
export { createDelegateTools, type DelegateOptions } from './delegate.js';
