import { SwiftletError } from '../core/index.js';
import { createCurrentTimeTool } from './current-time.js';
import { createHttpFetchTool } from './http-fetch.js';
import { createTodoTool } from './todo.js';
import type { Tool } from './types.js';

/** A built-in tool as the config describes it (plain data, so tools never depend on the config module). */
export type BuiltinToolSpec =
  | { name: 'todo'; timeoutMs?: number }
  | { name: 'current_time'; timeoutMs?: number }
  | { name: 'http_fetch'; allowHosts: readonly string[]; maxBytes: number; timeoutMs: number; allowHttp: boolean };

export type BuiltinToolName = BuiltinToolSpec['name'];

export const BUILTIN_TOOL_NAMES: readonly BuiltinToolName[] = ['todo', 'current_time', 'http_fetch'];

export function createBuiltinTool(spec: BuiltinToolSpec): Tool {
  switch (spec.name) {
    case 'todo':
      return createTodoTool(spec.timeoutMs === undefined ? {} : { timeoutMs: spec.timeoutMs });
    case 'current_time':
      return createCurrentTimeTool(spec.timeoutMs === undefined ? {} : { timeoutMs: spec.timeoutMs });
    case 'http_fetch':
      return createHttpFetchTool(spec);
    default: {
      const name: string = (spec as { name: string }).name;
      throw new SwiftletError('SWIFTLET_ERR_CONFIG_INVALID', `unknown built-in tool ${JSON.stringify(name)}`, {
        field: 'name',
      });
    }
  }
}
