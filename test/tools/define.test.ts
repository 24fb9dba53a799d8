import { test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { SwiftletError } from '../../src/core/index.js';
import { defineTool } from '../../src/tools/index.js';
import { toolContext } from './helpers.js';

const add = defineTool({
  name: 'add',
  description: 'Adds two numbers.',
  input: z.object({ a: z.number(), b: z.number().default(0), tags: z.array(z.string()).optional() }),
  timeoutMs: 500,
  run: async ({ a, b }) => a + b,
});

test('defineTool computes the JSON Schema once, without $schema, defaults optional', () => {
  assert.equal(add.input.type, 'object');
  assert.equal('$schema' in add.input, false);
  assert.deepEqual(add.input.required, ['a']);
  assert.deepEqual(Object.keys(add.input.properties as object), ['a', 'b', 'tags']);
  assert.equal(add.timeoutMs, 500);
});

test('parse accepts valid input and applies defaults', async () => {
  const parsed = add.parse({ a: 2 });
  assert.deepEqual(parsed, { ok: true, value: { a: 2, b: 0 } });
  if (parsed.ok) assert.equal(await add.run(parsed.value, toolContext()), 2);
});

test('parse explains each problem with its path', () => {
  const parsed = add.parse({ a: 'x', tags: ['ok', 3] });
  assert.equal(parsed.ok, false);
  if (parsed.ok) return;
  assert.match(parsed.error, /^a: .*expected number, received string/);
  assert.match(parsed.error, /tags\[1\]: .*expected string, received number/);
  const root = add.parse('nope');
  assert.equal(root.ok, false);
  if (!root.ok) assert.match(root.error, /^\(arguments\): .*expected object/);
});

test('defineTool rejects names providers would refuse', () => {
  assert.throws(
    () => defineTool({ name: 'bad name', description: '', input: z.object({}), run: async () => null }),
    (err) => SwiftletError.isInstance(err) && err.code === 'SWIFTLET_ERR_INVALID_INPUT',
  );
});
