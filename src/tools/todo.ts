import { z } from 'zod';
import { SwiftletError, type JSONValue, type TodoItem } from '../core/index.js';
import { defineTool } from './define.js';
import type { SessionState, Tool } from './types.js';

/** The session state key holding the todo list (a `state` entry in the session log). */
export const TODO_STATE_KEY = 'todo';

const STATUSES = ['pending', 'in_progress', 'done'] as const;
const NEEDS_ID = new Set(['update', 'complete', 'remove']);

const input = z
  .object({
    action: z.enum(['add', 'update', 'complete', 'remove', 'list']),
    text: z.string().min(1).max(2000).optional().describe('the item text (add, update)'),
    id: z.number().int().positive().optional().describe('the item id (update, complete, remove)'),
    status: z.enum(STATUSES).optional().describe('new status (add, update)'),
  })
  .superRefine((value, ctx) => {
    if (value.action === 'add' && value.text === undefined) {
      ctx.addIssue({ code: 'custom', path: ['text'], message: 'required when action is "add"' });
    }
    if (NEEDS_ID.has(value.action) && value.id === undefined) {
      ctx.addIssue({ code: 'custom', path: ['id'], message: `required when action is "${value.action}"` });
    }
    if (value.action === 'update' && value.text === undefined && value.status === undefined) {
      ctx.addIssue({ code: 'custom', path: ['text'], message: 'give text or status (or both) to update' });
    }
  });

/** The session's todo list; an empty list when none was kept yet or the stored value is not a list. */
export function readTodos(state: SessionState): TodoItem[] {
  const value = state.get(TODO_STATE_KEY);
  if (!Array.isArray(value)) return [];
  return value.filter(isTodoItem);
}

function isTodoItem(value: JSONValue): value is JSONValue & TodoItem {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  return (
    typeof value.id === 'number' &&
    typeof value.text === 'string' &&
    STATUSES.includes(value.status as TodoItem['status'])
  );
}

function writeTodos(state: SessionState, items: readonly TodoItem[]): void {
  state.set(
    TODO_STATE_KEY,
    items.map((item) => ({ id: item.id, text: item.text, status: item.status })),
  );
}

function findIndex(items: readonly TodoItem[], id: number): number {
  const index = items.findIndex((item) => item.id === id);
  if (index === -1) {
    const known = items.length === 0 ? 'the list is empty' : `existing ids: ${items.map((i) => i.id).join(', ')}`;
    throw new SwiftletError('SWIFTLET_ERR_TOOL_FAILED', `no todo item with id ${id} (${known})`);
  }
  return index;
}

export function createTodoTool(options: { timeoutMs?: number } = {}): Tool {
  return defineTool({
    name: 'todo',
    description:
      'Keep a todo list for the current task: add items, update their text or status (pending, in_progress, done), ' +
      'complete or remove them by id, or list them. Every call returns the whole list.',
    input,
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    // Read-modify-write happens in one synchronous block, so parallel calls in one step cannot lose an update.
    run: async (args, ctx) => {
      const items = readTodos(ctx.state).slice();
      switch (args.action) {
        case 'list':
          return items;
        case 'add': {
          const id = items.reduce((max, item) => Math.max(max, item.id), 0) + 1;
          items.push({ id, text: args.text ?? '', status: args.status ?? 'pending' });
          break;
        }
        case 'update': {
          const index = findIndex(items, args.id ?? 0);
          const item = items[index]!;
          items[index] = { id: item.id, text: args.text ?? item.text, status: args.status ?? item.status };
          break;
        }
        case 'complete': {
          const index = findIndex(items, args.id ?? 0);
          items[index] = { ...items[index]!, status: 'done' };
          break;
        }
        case 'remove':
          items.splice(findIndex(items, args.id ?? 0), 1);
          break;
      }
      writeTodos(ctx.state, items);
      return items;
    },
  });
}
