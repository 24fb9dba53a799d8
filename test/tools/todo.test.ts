import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { TodoItem } from '../../src/core/index.js';
import { createBuiltinTool, readTodos, type Tool } from '../../src/tools/index.js';
import { memoryState, toolContext } from './helpers.js';

async function call(tool: Tool, state: ReturnType<typeof memoryState>, args: unknown): Promise<TodoItem[]> {
  const parsed = tool.parse(args);
  if (!parsed.ok) throw new Error(parsed.error);
  return (await tool.run(parsed.value, toolContext({ state }))) as TodoItem[];
}

test('todo: add, update, complete, remove, list keep the list in session state', async () => {
  const todo = createBuiltinTool({ name: 'todo' });
  const state = memoryState();
  assert.deepEqual(await call(todo, state, { action: 'list' }), []);
  await call(todo, state, { action: 'add', text: 'write tests' });
  const two = await call(todo, state, { action: 'add', text: 'ship', status: 'in_progress' });
  assert.deepEqual(two, [
    { id: 1, text: 'write tests', status: 'pending' },
    { id: 2, text: 'ship', status: 'in_progress' },
  ]);
  await call(todo, state, { action: 'update', id: 1, text: 'write more tests' });
  await call(todo, state, { action: 'complete', id: 1 });
  const afterRemove = await call(todo, state, { action: 'remove', id: 2 });
  assert.deepEqual(afterRemove, [{ id: 1, text: 'write more tests', status: 'done' }]);
  // Ids are never reused while higher ones exist; a new item after removal gets max+1.
  const added = await call(todo, state, { action: 'add', text: 'again' });
  assert.deepEqual(
    added.map((i) => i.id),
    [1, 2],
  );
  assert.deepEqual(readTodos(state), added);
  // Every change is a state write under `todo` (what the session log persists); list writes nothing.
  assert.equal(state.writes.length, 6);
  assert.ok(state.writes.every((w) => w.key === 'todo'));
  assert.deepEqual(state.writes.at(-1)?.value, added);
});

test('todo: unknown ids and missing fields are clear errors', async () => {
  const todo = createBuiltinTool({ name: 'todo' });
  const state = memoryState();
  await call(todo, state, { action: 'add', text: 'a' });
  await assert.rejects(call(todo, state, { action: 'complete', id: 9 }), /no todo item with id 9 \(existing ids: 1\)/);
  await assert.rejects(call(todo, state, { action: 'remove' }), /id: required when action is "remove"/);
  await assert.rejects(call(todo, state, { action: 'add' }), /text: required when action is "add"/);
  await assert.rejects(call(todo, state, { action: 'update', id: 1 }), /give text or status/);
  await assert.rejects(call(todo, state, { action: 'drop' }), /action: Invalid option/);
  assert.equal(state.writes.length, 1);
});

test('readTodos ignores absent and malformed state', () => {
  const state = memoryState();
  assert.deepEqual(readTodos(state), []);
  state.set('todo', 'nonsense');
  assert.deepEqual(readTodos(state), []);
  state.set('todo', [{ id: 1, text: 'ok', status: 'done' }, { id: 'x' }, null]);
  assert.deepEqual(readTodos(state), [{ id: 1, text: 'ok', status: 'done' }]);
});
