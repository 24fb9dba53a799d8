import { z } from 'zod';
import { SwiftletError, type JSONSchema } from '../core/index.js';
import type { ParseResult, Tool, ToolContext } from './types.js';

export interface ToolDefinition<S extends z.ZodObject, O> {
  /** Letters, digits, `_` and `-`, at most 64 characters (what every provider accepts). */
  name: string;
  /** Tells the model when and how to use the tool. */
  description: string;
  input: S;
  timeoutMs?: number;
  run(input: z.output<S>, ctx: ToolContext): Promise<O>;
}

const TOOL_NAME = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * Builds a Tool from a zod object schema. The JSON Schema sent to the model is computed once here; `parse` checks the
 * model's arguments and explains every problem with its path, so the model can correct itself.
 */
export function defineTool<S extends z.ZodObject, O>(def: ToolDefinition<S, O>): Tool<z.output<S>, O> {
  if (!TOOL_NAME.test(def.name)) {
    throw new SwiftletError(
      'SWIFTLET_ERR_INVALID_INPUT',
      `tool name ${JSON.stringify(def.name)} must be 1-64 letters, digits, "_" or "-"`,
      { field: 'name' },
    );
  }
  const schema = def.input;
  const input = toJsonSchema(schema);
  return {
    name: def.name,
    description: def.description,
    input,
    ...(def.timeoutMs === undefined ? {} : { timeoutMs: def.timeoutMs }),
    parse(raw: unknown): ParseResult<z.output<S>> {
      const result = schema.safeParse(raw);
      if (result.success) return { ok: true, value: result.data };
      return { ok: false, error: formatIssues(result.error.issues) };
    },
    run: (value, ctx) => def.run(value, ctx),
  };
}

function toJsonSchema(schema: z.ZodObject): JSONSchema {
  // `io: 'input'` so fields with defaults are optional for the model; `$schema` is noise to providers.
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' });
  return rest;
}

/** `action: Invalid option…; items[2].name: Invalid input…` — one clause per issue, each naming its field. */
export function formatIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues.map((issue) => `${formatPath(issue.path)}: ${issue.message}`).join('; ');
}

function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(arguments)';
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out;
}
